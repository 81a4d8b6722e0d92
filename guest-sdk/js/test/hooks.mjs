// Module resolution hook for the unit tests (see register.mjs).
const MOCK = new URL("./mock-host.mjs", import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier.startsWith("sandtrap:detector/")) return { url: MOCK, shortCircuit: true };
  return next(specifier, context);
}
