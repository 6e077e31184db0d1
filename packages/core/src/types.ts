/**
 * Compile-time wiring: from the modules given to `withModules`, the type of every node's output,
 * the external inputs (dependencies no node produces) and a check that every producer's output
 * fits every consumer's parameter.
 */

// biome-ignore lint: `any` is what lets any function match.
type AnyFn = (...args: any[]) => any;

/** Brand carried by functions wrapped in `configWhen`, whose `__variant` suffix is stripped. */
export interface ConfigWhenBrand {
  readonly "~hamiltonConfigWhen": true;
}

/** Flattens an intersection for readable hover types. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

type NodeKey<M, K extends keyof M> = K extends string
  ? K extends `_${string}`
    ? never
    : M[K] extends AnyFn
      ? M[K] extends ConfigWhenBrand
        ? K extends `${infer Base}__${string}`
          ? Base
          : K
        : K
      : never
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

/** Node name → output type, for one module. */
export type ModuleOutputs<M> = { [K in keyof M as NodeKey<M, K>]: OutputOf<M[K]> };

/** Node name → dependencies object, for one module. */
export type ModuleDeps<M> = { [K in keyof M as NodeKey<M, K>]: DepsOf<M[K]> };

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
