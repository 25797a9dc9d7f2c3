import type { DescMethod } from "@bufbuild/protobuf";

/**
 * Names a generated class member may not take, beyond the ones protobuf-es
 * already escapes in `localName` (constructor, toString, toJSON, valueOf):
 * `then` would make instances thenable (so `await client` would hang), `open`
 * is the client's full-control namespace, and the rest are Object.prototype.
 */
const reserved = new Set([
  "then",
  "open",
  "hasOwnProperty",
  "isPrototypeOf",
  "propertyIsEnumerable",
  "toLocaleString",
  "__proto__",
  "__defineGetter__",
  "__defineSetter__",
  "__lookupGetter__",
  "__lookupSetter__",
]);

/**
 * The member name of an rpc on generated classes: the descriptor's `localName`,
 * with `$` appended when it clashes with a reserved name. The plugin and the
 * server both use this rule, so a handler is always found under the name the
 * generated base class declared.
 */
export function memberName(method: DescMethod): string {
  return reserved.has(method.localName) ? method.localName + "$" : method.localName;
}
