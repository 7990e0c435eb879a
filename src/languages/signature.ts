/**
 * What signature inference finds in user code, in terms common to every language.
 */

/** How a parameter receives its value. */
export type ParameterKind =
  /** Positional or by name (Python's default, every parameter in most languages). */
  | 'positional'
  /** Positional only (Python parameters before `/`). */
  | 'positional-only'
  /** By name only (Python parameters after `*`, Ruby keyword arguments). */
  | 'keyword-only'
  /** Collects extra positional arguments (`*args`, `...rest`). */
  | 'var-positional'
  /** Collects extra keyword arguments (`**kwargs`). */
  | 'var-keyword'
  /** A block parameter (Ruby `&block`); never filled from a request. */
  | 'block';

/** One parameter of a function. */
export interface ParameterInfo {
  name: string;
  kind: ParameterKind;
  /** Source text of the default value, when the parameter has one. */
  default?: string;
  /** Declared type as written in the source, when the language or the annotations give one. */
  type?: string;
}

/** A callable function found in user code. */
export interface FunctionSignature {
  name: string;
  params: ParameterInfo[];
  /** Declared return type as written in the source. */
  returnType?: string;
  /** `async def` / `async function`: the proxy awaits the result. */
  isAsync?: boolean;
  /** Docstring or doc comment, when present. */
  doc?: string;
  /** 1-based line of the definition in the user's code. */
  line: number;
}
