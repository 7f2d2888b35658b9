/**
 * The column names PostgreSQL gives select-list items without an alias: a column's name, a function's name
 * (`trim` prints as `btrim`), an aggregate's, `case`, a cast of a constant as its type's internal name
 * (`int4`, `numeric`), else `?column?`.
 */
import { type AstNode, columnName, ident } from "./expr.js";
import { typeName } from "./values.js";

/** The output name PostgreSQL gives a select-list item without an alias. */
export function outputName(e: AstNode): string {
  switch (e?.type) {
    case "column_ref":
      return ident(columnName(e.column));
    case "function": {
      const n = String(e.name?.name?.[e.name.name.length - 1]?.value ?? "?column?").toLowerCase();
      return n === "trim" ? "btrim" : n === "substr" ? "substr" : n === "ceiling" ? "ceiling" : n;
    }
    case "aggr_func":
      return String(e.name).toLowerCase();
    case "cast":
      if (e.expr?.type === "column_ref" || e.expr?.type === "function" || e.expr?.type === "cast")
        return outputName(e.expr);
      return castName(String(e.target?.[0]?.dataType ?? ""));
    case "date":
    case "time":
    case "timestamp":
      return String(e.type);
    case "case":
      return "case";
    case "extract":
      return "extract";
    default:
      return e?.ast !== undefined ? outputName(e.ast.columns?.[0]?.expr) : "?column?";
  }
}

/** PostgreSQL's internal type name, which it gives a cast of a constant as its column name. */
function castName(dataType: string): string {
  const names: Record<string, string> = {
    integer: "int4",
    smallint: "int2",
    bigint: "int8",
    real: "float4",
    "double precision": "float8",
    boolean: "bool",
    "character varying": "varchar",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
    "time without time zone": "time",
  };
  try {
    const t = typeName(dataType);
    return names[t] ?? t;
  } catch {
    return "?column?";
  }
}
