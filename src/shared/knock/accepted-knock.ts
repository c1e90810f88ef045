/** The canonical spelling of a knock scheme, as logged. */
export type KnockScheme = 'Base64' | 'Fernet' | 'JWT' | (string & {});

/** A knock that decoded, authenticated and had the `{"epdb": {...}}` shape. */
export interface AcceptedKnock {
  readonly scheme: KnockScheme;
  /** The object under `"epdb"`: reserved for per-request options. */
  readonly options: Readonly<Record<string, unknown>>;
}
