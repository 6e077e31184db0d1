import type { SourceBinding } from "./modifiers.js";

/**
 * Compile-time wiring: from the modules given to `withModules`, the type of every node's output,
 * the external inputs (dependencies no node produces) and a check that every producer's output
 * fits every consumer's parameter.
 */

// `any` is what lets any function match (biome.json allows it in this file only).
type AnyFn = (...args: any[]) => any;

/** Brand carried by functions wrapped in `configWhen`, whose `__variant` suffix is stripped. */
export interface ConfigWhenBrand {
  readonly "~hamiltonConfigWhen": true;
}

/** Brand of `extractFields`: the field nodes it adds. */
export interface FieldsBrand<K extends string> {
  readonly "~hamiltonFields": K;
}

/** Brand of `parameterize`: the nodes it creates and their bindings. */
export interface ParameterizeBrand<S> {
  readonly "~hamiltonParameterize": S;
}

/** Brand of `inject`: the parameters it binds. */
export interface InjectBrand<B> {
  readonly "~hamiltonInject": B;
}

/** Brand of `parallelize`: consumers in the fan-out see one item. */
export interface ExpandBrand {
  readonly "~hamiltonExpand": true;
}

/** Brand of `collect`: per-item dependencies arrive as arrays. */
export interface CollectBrand {
  readonly "~hamiltonCollect": true;
}

/** Flattens an intersection for readable hover types. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** Brand of `subdag`: the embedded modules, the namespace, and whether it has a final function. */
export interface SubdagBrand<Ms, NS extends string, Final extends boolean> {
  readonly "~hamiltonSubdag": { readonly modules: Ms; readonly namespace: NS; readonly final: Final };
}

/** The item type of an array, iterable or async iterable. */
export type ElementOf<T> = T extends readonly (infer E)[]
  ? E
  : T extends Iterable<infer E>
    ? E
    : T extends AsyncIterable<infer E>
      ? E
      : unknown;

type IsNodeKey<M, K extends keyof M> = K extends string
  ? K extends `_${string}`
    ? false
    : M[K] extends AnyFn
      ? true
      : false
  : false;

/** The node name(s) an export produces (besides extracted fields and subdag nodes). */
type NodeNames<M, K extends keyof M> =
  IsNodeKey<M, K> extends true
    ? M[K] extends ParameterizeBrand<infer S>
      ? keyof S & string
      : M[K] extends SubdagBrand<any, any, infer Final>
        ? Final extends true
          ? K
          : never
        : M[K] extends ConfigWhenBrand
          ? K extends `${infer Base}__${string}`
            ? Base
            : K
          : K
    : never;

/** The dependencies object a node function declares (its first parameter), or `{}`. */
export type DepsOf<F> = F extends (deps: infer P, ...rest: any[]) => any
  ? unknown extends P
    ? {}
    : P extends object
      ? P
      : {}
  : {};

/** The value a node function produces (promises unwrapped). */
export type OutputOf<F> = F extends (...args: any[]) => infer R ? Awaited<R> : never;

/** What a node's consumers see: the item type for a `parallelize` node, else its output. */
type SeenOutput<F> = F extends ExpandBrand ? ElementOf<OutputOf<F>> : OutputOf<F>;

/** Dependencies after `inject`/`parameterize` bindings: bound parameters go, sources come in. */
type BoundDeps<Deps, B> = Omit<Deps, keyof B> & {
  [P in keyof B as B[P] extends SourceBinding<infer Q> ? Q : never]: P extends keyof Deps ? Deps[P] : unknown;
};

/** A collect node's per-item dependencies arrive as arrays: accept an item or an array for wiring. */
type CollectDeps<Deps> = { [P in keyof Deps]: Deps[P] | ElementOf<Deps[P]> };

type NodeDeps<F, _Name> =
  F extends SubdagBrand<any, any, any>
    ? {}
    : F extends InjectBrand<infer B>
      ? BoundDeps<DepsOf<F>, B>
      : F extends CollectBrand
        ? CollectDeps<DepsOf<F>>
        : DepsOf<F>;

type FieldOutputs<M> = UnionToIntersection<
  {
    [K in keyof M]: M[K] extends FieldsBrand<infer F>
      ? { [P in F]: P extends keyof OutputOf<M[K]> ? OutputOf<M[K]>[P] : unknown }
      : {};
  }[keyof M]
>;

type SubdagOutputs<M> = UnionToIntersection<
  {
    [K in keyof M]: M[K] extends SubdagBrand<infer Ms extends readonly unknown[], infer NS, any>
      ? { [P in keyof OutputsOf<Ms> as `${[NS] extends [never] ? K & string : NS}.${P & string}`]: OutputsOf<Ms>[P] }
      : {};
  }[keyof M]
>;

/** Node name → output type, for one module (modifiers' nodes included). */
export type ModuleOutputs<M> = { [K in keyof M as NodeNames<M, K>]: SeenOutput<M[K]> } & FieldOutputs<M> &
  SubdagOutputs<M>;

/** Node name → dependencies object, for one module. */
export type ModuleDeps<M> = {
  [K in keyof M as M[K] extends ParameterizeBrand<any> ? never : NodeNames<M, K>]: NodeDeps<M[K], K>;
} & ParameterizedDeps<M>;

type ParameterizedDeps<M> = UnionToIntersection<
  {
    [K in keyof M]: M[K] extends ParameterizeBrand<infer S> ? { [O in keyof S]: BoundDeps<DepsOf<M[K]>, S[O]> } : {};
  }[keyof M]
>;

/** Node outputs of several modules. */
export type OutputsOf<Ms extends readonly unknown[]> = Ms extends readonly [infer H, ...infer T]
  ? ModuleOutputs<H> & OutputsOf<T>
  : {};

/** Node dependencies of several modules. */
export type DepsOfModules<Ms extends readonly unknown[]> = Ms extends readonly [infer H, ...infer T]
  ? ModuleDeps<H> & DepsOfModules<T>
  : {};

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

type DepObjects<D> = { [K in keyof D]: D[K] }[keyof D];
type KeysOfUnion<U> = U extends unknown ? keyof U : never;

/** Names of external inputs: dependencies that no node produces. */
export type InputNames<N, D> = Exclude<KeysOfUnion<DepObjects<D>>, keyof N> & string;

/** The type an external input must have: what every consumer accepts. */
export type InputType<D, I extends PropertyKey> = UnionToIntersection<
  { [K in keyof D]: I extends keyof D[K] ? Exclude<D[K][I], undefined> : never }[keyof D]
>;

/** External input name → type. Every one is optional here: which are needed depends on the outputs requested. */
export type InputsOf<N, D> = { [I in InputNames<N, D>]?: InputType<D, I> };

/** Messages for every producer/consumer pair whose types do not fit, or `never`. */
export type WiringErrors<N, D> = {
  [K in keyof D]: {
    [J in keyof D[K] & keyof N]: [N[J]] extends [D[K][J]]
      ? never
      : `node "${K & string}" needs "${J & string}" of another type than node "${J & string}" produces`;
  }[keyof D[K] & keyof N];
}[keyof D];

/**
 * `unknown` when the wiring type-checks; otherwise an object type whose single property names each
 * mismatch, so passing the modules fails to compile with that message.
 */
export type CheckWiring<N, D> = [WiringErrors<N, D>] extends [never]
  ? unknown
  : { readonly "hamilton-ts wiring error": WiringErrors<N, D> };
