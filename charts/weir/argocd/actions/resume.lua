-- Argo CD action "resume": ask Weir to go on after an operator's pause or an errored/inconclusive analysis (the analysis runs again).
-- Requests live in status, so Git's spec never changes: Argo CD sees the status change in
-- the returned object and sends it to the Rollout's status subresource.
-- Argo CD has no global os: its safe os library (time, date) comes through require.
local os = require("os")
if obj.status == nil then
  obj.status = {}
end
obj.status.request = {action = "Resume", by = "argocd", at = os.date("!%Y-%m-%dT%H:%M:%SZ")}
return obj
