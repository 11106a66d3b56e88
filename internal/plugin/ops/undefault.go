package ops

import (
	"encoding/json"
	"reflect"

	corev1 "k8s.io/api/core/v1"
)

// undefault removes from target the fields the API server added as defaults. It learns
// them from a pair: current (a template as written) and currentDefaulted (the same template
// after the API server defaulted it). A field of target that current lacks but
// currentDefaulted has, with the same value, is a default and goes.
func undefault(target, current, currentDefaulted corev1.PodTemplateSpec, out *corev1.PodTemplateSpec) error {
	t, err := toMap(target)
	if err != nil {
		return err
	}
	c, err := toMap(current)
	if err != nil {
		return err
	}
	d, err := toMap(currentDefaulted)
	if err != nil {
		return err
	}
	pruneDefaults(t, c, d)
	data, err := json.Marshal(t)
	if err != nil {
		return err
	}
	*out = corev1.PodTemplateSpec{}
	return json.Unmarshal(data, out)
}

func toMap(v any) (map[string]any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(data, &m)
}

func pruneDefaults(target, current, defaulted any) {
	switch t := target.(type) {
	case map[string]any:
		c, _ := current.(map[string]any)
		d, _ := defaulted.(map[string]any)
		if d == nil {
			return
		}
		for k, v := range t {
			dv, inDefaulted := d[k]
			cv, inCurrent := c[k]
			if !inCurrent && inDefaulted && reflect.DeepEqual(v, dv) {
				delete(t, k)
				continue
			}
			pruneDefaults(v, cv, dv)
		}
	case []any:
		c, _ := current.([]any)
		d, _ := defaulted.([]any)
		for i, el := range t {
			pruneDefaults(el, counterpart(el, i, c), counterpart(el, i, d))
		}
	}
}

// counterpart finds the element of list matching el: by name for named elements
// (containers, ports, env, volumes), else by position.
func counterpart(el any, i int, list []any) any {
	if m, ok := el.(map[string]any); ok {
		if name, ok := m["name"]; ok {
			for _, other := range list {
				if om, ok := other.(map[string]any); ok && om["name"] == name {
					return om
				}
			}
			return nil
		}
	}
	if i < len(list) {
		return list[i]
	}
	return nil
}
