/**
 * How values cross processes: structured clone (`node:v8` serialize), checked first, because
 * `v8.serialize` silently turns a class instance into a plain object and a function fails with a
 * message that names no node.
 *
 * @module
 */
import { deserialize, serialize } from "node:v8";
import { findUncloneable } from "@hamilton-ts/core";
import { BullMQError } from "./errors.js";

/** Where a value goes, for the message of a value that cannot go. */
export type Direction = "to a worker" | "back to the coordinator";

/**
 * The value as base64 of its structured clone, or a `BullMQError` (`UNSERIALIZABLE`) naming whose
 * value it is (`node "page" (task url[3])`, `config value "client"`) and what to do.
 */
export function encode(value: unknown, subject: string, direction: Direction, fix: string): string {
  const found = findUncloneable(value);
  let failure: unknown;
  if (found === undefined) {
    try {
      return serialize(value).toString("base64");
    } catch (error) {
      failure = error;
    }
  }
  throw new BullMQError(
    "UNSERIALIZABLE",
    `The value of ${subject} cannot be sent ${direction}: it holds ${
      found ?? `something structured clone refuses (${failure instanceof Error ? failure.message : String(failure)})`
    }. Values cross processes by structured clone: plain objects, arrays, strings, numbers, BigInt, Date, Map, Set, ` +
      `typed arrays and errors survive; functions, class instances, promises and sockets do not. ${fix}`,
    failure === undefined ? {} : { cause: failure },
  );
}

/** What to do about a node's value that cannot cross. */
export function nodeFix(node: string): string {
  return (
    `Make "${node}" return plain data, or, for a client or connection, make it a node that reads only config ` +
    `(each worker then builds it itself).`
  );
}

/** What to do about a config value that cannot cross. */
export function configFix(key: string): string {
  return (
    `The coordinator's config travels with each task: keep "${key}" out of withConfig and build it in a node that ` +
    `reads only plain config (each worker then builds it itself).`
  );
}

/** The value from {@link encode}'s text. */
export function decode(text: string): unknown {
  return deserialize(Buffer.from(text, "base64"));
}
