import type { Cell } from "./tables";

// Values in PostgreSQL's text input form, as both COPY and the array-based insert accept them.

export function timestamp(milliseconds: number): string {
  return new Date(milliseconds).toISOString();
}

export function optionalTimestamp(milliseconds: number | null | undefined): Cell {
  return milliseconds === null || milliseconds === undefined ? null : timestamp(milliseconds);
}

export function calendarDate(milliseconds: number): string {
  return new Date(milliseconds).toISOString().slice(0, 10);
}

export function money(amount: number): string {
  return amount.toFixed(2);
}

export function flag(value: boolean): string {
  return value ? "t" : "f";
}

export function sigmoid(logit: number) {
  return 1 / (1 + Math.exp(-logit));
}

export function clamp(value: number, min: number, max: number) {
  return value < min ? min : value > max ? max : value;
}

export function round(value: number, decimals: number) {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}
