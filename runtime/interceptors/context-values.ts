/**
 * A typed key for a value an interceptor attaches to a call and a handler
 * reads: `const userKey = contextKey<User>("user")`, then
 * `call.context.set(userKey, user)` and `call.context.get(userKey)`.
 * Keys compare by identity, so two keys with one name never clash.
 */
export class ContextKey<T> {
  /** Only for the type: a key is never read for its value. */
  declare readonly type: T;
  constructor(
    /** A name for debugging. */
    readonly name: string,
  ) {}
}

/** A new typed context key (see `ContextKey`). */
export function contextKey<T>(name: string): ContextKey<T> {
  return new ContextKey<T>(name);
}

/** The values attached to one call, by key. */
export class ContextValues {
  readonly #values = new Map<ContextKey<unknown>, unknown>();

  /** The value under `key`, or undefined. */
  get<T>(key: ContextKey<T>): T | undefined {
    return this.#values.get(key) as T | undefined;
  }

  /** The value under `key`; throws if there is none (for values an interceptor always sets). */
  require<T>(key: ContextKey<T>): T {
    if (!this.#values.has(key)) throw new Error(`no context value "${key.name}" on this call`);
    return this.#values.get(key) as T;
  }

  set<T>(key: ContextKey<T>, value: T): this {
    this.#values.set(key, value);
    return this;
  }

  has(key: ContextKey<unknown>): boolean {
    return this.#values.has(key);
  }

  delete(key: ContextKey<unknown>): boolean {
    return this.#values.delete(key);
  }
}
