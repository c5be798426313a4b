/** One entry point for every drift report format. */
import { readFileSync } from "fs";
import { join } from "path";
import type { DriftReport } from "./drift-model";
import { renderDriftHtml } from "./drift-html";
import { renderDriftJunit } from "./drift-junit";
import { renderDriftSarif } from "./drift-sarif";
import { renderDriftMarkdown, renderDriftTable } from "./drift-text";

export type DriftFormat = "table" | "json" | "markdown" | "html" | "junit" | "sarif";
export const DRIFT_FORMATS: readonly DriftFormat[] = ["table", "json", "markdown", "html", "junit", "sarif"];

function toolVersion(): string {
  try {
    return String((JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as { version?: string }).version ?? "0");
  } catch {
    return "0";
  }
}

export function renderDriftReport(r: DriftReport, format: DriftFormat, opts: { color?: boolean } = {}): string {
  switch (format) {
    case "table":
      return renderDriftTable(r, opts);
    case "json":
      return JSON.stringify(r, null, 2) + "\n";
    case "markdown":
      return renderDriftMarkdown(r);
    case "html":
      return renderDriftHtml(r);
    case "junit":
      return renderDriftJunit(r);
    case "sarif":
      return renderDriftSarif(r, toolVersion());
  }
}
