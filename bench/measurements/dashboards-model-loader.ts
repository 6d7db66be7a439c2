import { dashboardMeasurement } from "../lib/dashboards";

export default dashboardMeasurement("model", "Model monitoring");
