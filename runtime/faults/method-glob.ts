/**
 * A glob over method paths, `/package.Service/Method`: `*` stands for any
 * run of characters, `/` included, and every other character for itself.
 * So `*` matches every method, `/orders.OrderService/*` every method of one
 * service, `/orders.*` every service of a package, and
 * `/orders.OrderService/GetOrder` one method.
 */
export function methodGlob(glob: string): (path: string) => boolean {
  if (glob === "*") return () => true;
  if (!glob.includes("*")) return (path) => path === glob;
  const pattern = glob.split("*").map(escapeRegExp).join(".*");
  const regexp = new RegExp(`^${pattern}$`, "s");
  return (path) => regexp.test(path);
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.+?()[\]{}|]/g, "\\$&");
}
