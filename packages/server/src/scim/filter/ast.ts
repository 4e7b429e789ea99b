/** The filter AST (RFC 7644 §3.4.2.2, Figure 1) and PATCH paths (§3.5.2). */

/** `[uri:]attr[.sub]`; names as written — matching is case-insensitive (RFC 7643 §2.1). */
export interface AttrPath {
  uri: string | null;
  attr: string;
  sub: string | null;
}

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type Literal = string | number | boolean | null;

export type Filter =
  | { kind: 'and' | 'or'; left: Filter; right: Filter }
  | { kind: 'not'; filter: Filter }
  | { kind: 'compare'; path: AttrPath; op: CompareOp; value: Literal }
  | { kind: 'present'; path: AttrPath }
  /** `emails[type eq "work"]`: some element of a multi-valued attribute matches `filter`. */
  | { kind: 'valuePath'; path: AttrPath; filter: Filter };

/** A PATCH target: `attrPath`, or `attrPath[valFilter]` optionally followed by `.subAttr`. */
export interface PatchPath {
  path: AttrPath;
  filter: Filter | null;
  /** The sub-attribute after a value filter (`emails[...].value`). */
  sub: string | null;
}

export const COMPARE_OPS: readonly CompareOp[] = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'];
