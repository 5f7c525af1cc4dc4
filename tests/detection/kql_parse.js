// Parses each KQL query of a JSON array on stdin with Microsoft's Kusto.Language (npm @kusto/language-service-next)
// and prints the syntax diagnostics of each, as a JSON array of arrays of messages.
global.Bridge = require("@kusto/language-service-next/bridge.min.js");
require("@kusto/language-service-next/Kusto.Language.Bridge.min.js");
const K = global.Kusto.Language;
const queries = JSON.parse(require("fs").readFileSync(0, "utf8"));
const out = queries.map((q) => {
  const diagnostics = K.KustoCode.Parse(q).GetDiagnostics();
  const messages = [];
  for (let i = 0; i < diagnostics.Count; i++) messages.push(diagnostics.getItem(i).Message);
  return messages;
});
process.stdout.write(JSON.stringify(out));
