import { backtestMeasurement } from "../lib/rulesets-backtest";

export default backtestMeasurement("90d");
