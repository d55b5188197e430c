// Stands in for `zod/v3` in the web app's bundle. The AI SDK's provider-utils imports only `ZodFirstPartyTypeKind`
// from it (to turn a zod 3 schema into JSON Schema); importing the real module keeps all of zod 3's classes (~13 KB
// gzip), because their static set-up runs at load. The app never builds a zod 3 schema, so the enum is all that is
// reached; its values are zod 3's (each member's value is its name).
const KINDS = [
  'ZodString', 'ZodNumber', 'ZodNaN', 'ZodBigInt', 'ZodBoolean', 'ZodDate', 'ZodSymbol', 'ZodUndefined', 'ZodNull',
  'ZodAny', 'ZodUnknown', 'ZodNever', 'ZodVoid', 'ZodArray', 'ZodObject', 'ZodUnion', 'ZodDiscriminatedUnion',
  'ZodIntersection', 'ZodTuple', 'ZodRecord', 'ZodMap', 'ZodSet', 'ZodFunction', 'ZodLazy', 'ZodLiteral', 'ZodEnum',
  'ZodEffects', 'ZodNativeEnum', 'ZodOptional', 'ZodNullable', 'ZodDefault', 'ZodCatch', 'ZodPromise', 'ZodBranded',
  'ZodPipeline', 'ZodReadonly',
] as const;

export const ZodFirstPartyTypeKind: Readonly<Record<(typeof KINDS)[number], string>> = Object.freeze(
  Object.fromEntries(KINDS.map((kind) => [kind, kind])) as Record<(typeof KINDS)[number], string>,
);
