import { backtestMeasurement } from "../lib/rulesets-backtest";

export default backtestMeasurement("all");
