import { explorerMeasurement } from "../lib/explorer";

export default explorerMeasurement("deep", "page at row 500,000, newest first (keyset cursor)");
