/**
 * The JSON Schema subset the API's request schemas use, and the TypeScript type each schema describes.
 * Types are derived from the schemas (never written twice), so a field added to a schema is a field
 * the server reads and the CLI may send — and an unknown one is refused (additionalProperties: false).
 */

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type RequiredKeys<S> = S extends { readonly required: readonly (infer R)[] } ? R : never;

type ObjectOf<S> = S extends { readonly properties: infer P }
  ? Simplify<{ -readonly [K in keyof P & RequiredKeys<S>]: FromSchema<P[K]> } & { -readonly [K in Exclude<keyof P, RequiredKeys<S>>]?: FromSchema<P[K]> }>
  : S extends { readonly additionalProperties: infer A extends object }
    ? Record<string, FromSchema<A>>
    : Record<string, never>;

type NonNull<S> = S extends { readonly type: 'string'; readonly enum: readonly (infer E)[] }
  ? E
  : S extends { readonly type: 'string' }
    ? string
    : S extends { readonly type: 'integer' | 'number' }
      ? number
      : S extends { readonly type: 'boolean' }
        ? boolean
        : S extends { readonly type: 'object' }
          ? ObjectOf<S>
          : unknown;

/** The value a schema accepts, as a TypeScript type. */
export type FromSchema<S> = S extends { readonly nullable: true } ? NonNull<S> | null : NonNull<S>;

/** What a route validates: path parameters, query string, body (each optional). */
export interface RouteSchema {
  readonly params?: object;
  readonly querystring?: object;
  readonly body?: object;
}

/**
 * One route of the API: method, URL (fastify syntax, `:name` for a parameter), request schemas and,
 * as a type only, the answer. Server and CLI both take the route from here.
 */
export interface Route<Reply = unknown, S extends RouteSchema = RouteSchema> {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly url: string;
  /** One line for the OpenAPI document. */
  readonly summary: string;
  /** Status of a successful answer when it is not 200. */
  readonly status?: number;
  readonly schema: S;
  /** Never set: carries the answer's type. */
  readonly reply?: Reply;
}

/** Declares a route whose answer is `Reply`; the schemas keep their literal types (`as const`). */
export const route =
  <Reply>() =>
  <const S extends RouteSchema>(r: Omit<Route<Reply, S>, 'reply'>): Route<Reply, S> =>
    r;

type Part<R, K extends keyof RouteSchema> = R extends Route<unknown, infer S> ? (S[K] extends object ? FromSchema<S[K]> : undefined) : never;
export type ParamsOf<R> = Part<R, 'params'>;
export type QueryOf<R> = Part<R, 'querystring'>;
export type BodyOf<R> = Part<R, 'body'>;
export type ReplyOf<R> = R extends Route<infer Reply> ? Reply : never;

// biome-ignore lint/complexity/noBannedTypes: `{} extends V` is the test for "every field of V is optional"
type Defined<K extends string, V> = [V] extends [undefined] ? object : {} extends V ? { [P in K]?: Exclude<V, null> } : { [P in K]: V };
/** What a caller gives for a route: the parts it has; a part whose every field is optional may be left out. */
export type RequestOf<R> = Simplify<Defined<'params', ParamsOf<R>> & Defined<'query', QueryOf<R>> & Defined<'body', BodyOf<R>>>;
