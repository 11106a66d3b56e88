package packaging

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// runArgoLua runs a script the way Argo CD's Lua VM does (util/lua in argo-cd v2.14, the
// same in v3.6): a fresh state with only the package, base and table libraries, the live
// object as the global `obj` (maps and lists become tables), a one-second budget, and the
// returned value encoded to JSON. Its "safe" os library (time and date) is reachable only
// through require("os"): Argo CD registers it under the table library's name, so there is
// no global `os` (a real Argo CD v2.14.21 failed every action that called os.date with
// "attempt to index a non-table object(nil) with key 'date'"). Scripts that pass here use
// nothing Argo CD leaves out — notably the string library and the global os.
func runArgoLua(script string, obj map[string]any) (any, error) {
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer L.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.LoadLibName, lua.OpenPackage}, {lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.OsLibName, lua.OpenOs}} {
		if err := L.CallByParam(lua.P{Fn: L.NewFunction(lib.open), Protect: true}, lua.LString(lib.name)); err != nil {
			return nil, err
		}
	}
	// Argo CD's os has time and date only: nothing that runs programs or reads the environment.
	full := L.GetGlobal(lua.OsLibName).(*lua.LTable)
	safe := L.NewTable()
	for _, name := range []string{"time", "date"} {
		safe.RawSetString(name, full.RawGetString(name))
	}
	L.SetGlobal(lua.OsLibName, lua.LNil)
	L.PreloadModule(lua.OsLibName, func(L *lua.LState) int { L.Push(safe); return 1 })

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	L.SetContext(ctx)
	L.SetGlobal("obj", toLua(L, obj))
	if err := L.DoString(script); err != nil {
		return nil, err
	}
	return fromLua(L.Get(-1))
}

// toLua converts a decoded JSON value the way Argo CD's decodeValue does.
func toLua(L *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case map[string]any:
		t := L.CreateTable(0, len(v))
		for k, item := range v {
			t.RawSetString(k, toLua(L, item))
		}
		return t
	case []any:
		t := L.CreateTable(len(v), 0)
		for _, item := range v {
			t.Append(toLua(L, item))
		}
		return t
	case string:
		return lua.LString(v)
	case bool:
		return lua.LBool(v)
	case int64:
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	}
	return lua.LNil
}

// fromLua converts a returned value back to JSON form: a table with keys 1..n is a list,
// any other table an object.
func fromLua(v lua.LValue) (any, error) {
	switch v := v.(type) {
	case *lua.LTable:
		if n := v.MaxN(); n > 0 {
			list := make([]any, 0, n)
			for i := 1; i <= n; i++ {
				item, err := fromLua(v.RawGetInt(i))
				if err != nil {
					return nil, err
				}
				list = append(list, item)
			}
			return list, nil
		}
		m := map[string]any{}
		var err error
		v.ForEach(func(k, item lua.LValue) {
			key, ok := k.(lua.LString)
			if !ok {
				err = fmt.Errorf("table key %v is not a string", k)
				return
			}
			if m[string(key)], err = fromLua(item); err != nil {
				return
			}
		})
		return m, err
	case lua.LString:
		return string(v), nil
	case lua.LBool:
		return bool(v), nil
	case lua.LNumber:
		f := float64(v)
		if f == float64(int64(f)) {
			return int64(f), nil
		}
		return f, nil
	case *lua.LNilType:
		return nil, nil
	}
	return nil, fmt.Errorf("unexpected Lua value %s", v.Type())
}

// health is Argo CD's view of a health script's answer.
type health struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// argoHealthCodes are the statuses Argo CD accepts from a script; anything else is Unknown.
var argoHealthCodes = map[string]bool{"Healthy": true, "Progressing": true, "Degraded": true, "Suspended": true, "Missing": true, "Unknown": true}

func runHealth(t *testing.T, script string, obj map[string]any) health {
	t.Helper()
	out, err := runArgoLua(script, obj)
	if err != nil {
		t.Fatalf("health script: %v", err)
	}
	raw, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	h := decoded[health](t, "the health script's answer", raw)
	if !argoHealthCodes[h.Status] {
		t.Fatalf("health script returned status %q, which Argo CD turns into Unknown", h.Status)
	}
	return h
}

// decoded is raw (YAML or JSON) as a T; the test fails with what and raw when it isn't one.
func decoded[T any](t *testing.T, what string, raw []byte) T {
	t.Helper()
	var v T
	if err := yaml.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v in %s", what, err, raw)
	}
	return v
}

// object decodes YAML into the JSON form Argo CD hands to scripts (integers as int64, as
// in an unstructured object read from the API server).
func object(t *testing.T, text string) map[string]any {
	t.Helper()
	raw, err := yaml.YAMLToJSON([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := utiljson.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
