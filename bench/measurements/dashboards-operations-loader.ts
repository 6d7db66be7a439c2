import { dashboardMeasurement } from "../lib/dashboards";

export default dashboardMeasurement("operations", "Operations");
