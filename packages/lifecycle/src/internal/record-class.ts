/**
 * A fresh constructor of empty plain records: `new PlainRecord()` is `{}` to every reader (its
 * prototype is `Object.prototype`, so serializers that tell plain objects from class instances
 * see an ordinary record), but it is not built from `{}`.
 *
 * Why: V8 keys hidden classes by constructor. Every `{}` in the process starts from one shared
 * root and grows one shared tree of hidden-class transitions as keys are added. An engine that
 * builds records with many distinct keys from `{}` (the kwargs of a 10,000-node graph, or the ids
 * a tracer leaves in each event's attributes) fills that tree up; past V8's limit, every later
 * `{}` that gets a new key — the user's code included — gets a hidden class of its own, which
 * costs about 1 µs per object and makes property access megamorphic. A constructor of its own
 * gives its records their own root, so their transitions stay cached and the shared tree is left
 * alone.
 *
 * Call it once per shape family (once per module for event attributes, once per node for that
 * node's kwargs) and keep the constructor; do not call it per object.
 */
export function recordClass<T extends object = Record<string, unknown>>(): new () => T {
  // A function per call: V8 keeps the initial hidden class on each function object.
  function PlainRecord(): void {}
  PlainRecord.prototype = Object.prototype;
  return PlainRecord as unknown as new () => T;
}
