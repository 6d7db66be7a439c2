import { explorerMeasurement } from "../lib/explorer";

export default explorerMeasurement("first", "first page, newest first");
