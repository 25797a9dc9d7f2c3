/**
 * JSDoc text for generated services and methods, built from the comments in
 * the .proto source, in the same form protoc-gen-es uses for messages.
 */
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { getComments } from "./protoplugin.js";

/**
 * The leading and trailing comments of a service or rpc, joined by a blank
 * line, without the one space protoc keeps after `//`. Empty if it has none.
 */
export function commentText(desc: DescService | DescMethod): string {
  const comments = getComments(desc);
  const parts = [comments.leading, comments.trailing]
    .filter((c): c is string => c !== undefined)
    .map((c) => c.replace(/\n$/, ""))
    .filter((c) => c.trim().length > 0);
  return parts
    .join("\n\n")
    .split("\n")
    .map((line) => (line.startsWith(" ") ? line.substring(1) : line))
    .join("\n");
}

/**
 * Full documentation of a service: its comments, an optional paragraph that
 * says how to use the generated class, `@generated from service ...`, and
 * `@deprecated` if the service is.
 */
export function serviceDoc(service: DescService, usage?: string): string {
  return paragraphs(
    commentText(service),
    usage,
    `@generated from ${service.toString()}` + (service.deprecated ? "\n@deprecated" : ""),
  );
}

/** Full documentation of an rpc: its comments, `@generated from rpc ...`, `@deprecated`. */
export function methodDoc(method: DescMethod): string {
  return paragraphs(
    commentText(method),
    `@generated from ${method.toString()}` + (method.deprecated ? "\n@deprecated" : ""),
  );
}

/** Short documentation of an rpc for places that repeat it: comments and `@deprecated` only. */
export function shortMethodDoc(method: DescMethod): string {
  return paragraphs(commentText(method), method.deprecated ? "@deprecated" : undefined);
}

/**
 * Formats text as a JSDoc block at the given indentation, ending with a line
 * break; empty text gives nothing. `compact` puts one line of text on the
 * line of the block (`/** text *\/`), for short docs inside an expression.
 */
export function formatDoc(text: string, indentation: string, compact = false): string {
  if (text.length === 0) return "";
  const lines = text.split("\n").map((line) => line.split("*/").join("*\\/"));
  if (compact && lines.length === 1) return `${indentation}/** ${lines[0]} */\n`;
  const body = lines.map((line) => (line.length > 0 ? `${indentation} * ${line}` : `${indentation} *`));
  return [`${indentation}/**`, ...body, `${indentation} */`].join("\n") + "\n";
}

function paragraphs(...texts: (string | undefined)[]): string {
  return texts.filter((t): t is string => t !== undefined && t.length > 0).join("\n\n");
}
