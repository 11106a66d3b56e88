-- Which Weir actions Argo CD offers on a Rollout, mirroring what the controller accepts
-- (internal/planner/requests.go): a request that would be refused is shown disabled.
local actions = {}
local st = obj.status or {}
local releasing = st.currentPodHash ~= nil and st.currentPodHash ~= st.stableRS
local aborted = st.aborted ~= nil
local paused = st.paused ~= nil
-- One request at a time: Weir clears status.request when it has acted on it.
local idle = st.request == nil

actions["promote"] = {disabled = not (idle and releasing and not aborted)}
actions["promote-full"] = {disabled = not (idle and releasing and not aborted)}
actions["abort"] = {disabled = not (idle and releasing and not aborted)}
actions["retry"] = {disabled = not (idle and aborted)}
actions["pause"] = {disabled = not (idle and releasing and not aborted and not paused)}
actions["resume"] = {disabled = not (idle and paused)}
return actions
