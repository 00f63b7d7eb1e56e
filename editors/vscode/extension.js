// Starts `routescope lsp` for YAML files. The server itself only reports on files holding
// Istio or Gateway API resources, so every YAML document can be handed to it.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

const MESH_SETTINGS = ["namespace", "rootNamespace", "autoMtls", "mtls", "complete"];

let client;

function meshSettings() {
  const config = vscode.workspace.getConfiguration("routescope");
  return Object.fromEntries(MESH_SETTINGS.map((key) => [key, config.get(key)]));
}

function activate(context) {
  const command = vscode.workspace.getConfiguration("routescope").get("path");
  client = new LanguageClient(
    "routescope",
    "Routescope",
    { command, args: ["lsp"] },
    {
      documentSelector: [{ language: "yaml" }],
      initializationOptions: meshSettings(),
      // Sends `workspace/didChangeConfiguration` with the `routescope` section on each change.
      synchronize: { configurationSection: "routescope" },
    },
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client && client.stop();
}

module.exports = { activate, deactivate };
