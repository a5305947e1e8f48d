/** What every list source offers the list holder (file, URL, policy rooms). */
import type { Result } from "../core/result.js";
import type { SourceList } from "../core/source-list.js";

/** A fetched source: a new list, or "unchanged" when the server answered 304. */
export type FetchOutcome =
  | { readonly kind: "loaded"; readonly list: SourceList; readonly skipped: number }
  | { readonly kind: "unchanged" };

/** One configured source of the list. */
export interface ListSource {
  /** A label safe to log (no credentials, no query string). */
  readonly label: string;
  readonly refreshMs: number;
  fetch(): Promise<Result<FetchOutcome, string>>;
  /** For sources that change by themselves (policy rooms): called on each change. */
  watch?(onChange: () => void): void;
  /** Ends the source's background work. */
  stop?(): Promise<void>;
  /** Problems that do not stop the source from serving (shown in `/ready`). */
  warnings?(): readonly string[];
}
