-- Argo CD action "promote": ask Weir to end the current step (a pause, or an analysis) and go on to the next one.
-- Requests live in status, so Git's spec never changes: Argo CD sees the status change in
-- the returned object and sends it to the Rollout's status subresource.
-- Argo CD has no global os: its safe os library (time, date) comes through require.
local os = require("os")
if obj.status == nil then
  obj.status = {}
end
obj.status.request = {action = "Promote", by = "argocd", at = os.date("!%Y-%m-%dT%H:%M:%SZ")}
return obj
