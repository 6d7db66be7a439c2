import { dashboardMeasurement } from "../lib/dashboards";

export default dashboardMeasurement("risk", "Risk");
