// OWASP API4 on what a client sends: every string bounded (maxLength, enum or const), every
// integer with minimum and maximum, every array with maxItems, walking a resolved schema through
// properties, items, anyOf/oneOf/allOf. Answers are not checked: their size is ours.
const KEYS = ["anyOf", "oneOf", "allOf"];

function types(schema) {
  if (Array.isArray(schema.type)) return schema.type;
  return schema.type ? [schema.type] : [];
}

function walk(schema, path, out) {
  if (!schema || typeof schema !== "object" || schema.readOnly) return;
  const t = types(schema);
  if (t.includes("string") && !("maxLength" in schema || "enum" in schema || "const" in schema)) {
    out.push({ message: "An input string needs maxLength, enum or const.", path });
  }
  if (t.includes("integer") && !("minimum" in schema && "maximum" in schema) && !("enum" in schema || "const" in schema)) {
    out.push({ message: "An input integer needs minimum and maximum.", path });
  }
  if (t.includes("array") && !("maxItems" in schema)) {
    out.push({ message: "An input array needs maxItems.", path });
  }
  for (const [name, sub] of Object.entries(schema.properties || {})) {
    walk(sub, [...path, "properties", name], out);
  }
  if (schema.items) walk(schema.items, [...path, "items"], out);
  for (const key of KEYS) {
    (schema[key] || []).forEach((sub, i) => walk(sub, [...path, key, i], out));
  }
}

export default function inputBounds(targetVal, _opts, context) {
  const out = [];
  walk(targetVal, context.path, out);
  return out;
}
