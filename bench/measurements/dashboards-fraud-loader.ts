import { dashboardMeasurement } from "../lib/dashboards";

export default dashboardMeasurement("fraud", "Fraud");
