package lint

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/runtime"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	sigsyaml "sigs.k8s.io/yaml"
)

// The CRDs of config/crd, copied here because go:embed can't reach outside the package.
// TestEmbeddedCRDsAreCurrent fails when they drift; `go generate ./internal/plugin/lint`
// copies them again.
//
//go:generate sh -c "cp ../../../config/crd/*.yaml crds/"
//go:embed crds/*.yaml
var crdFiles embed.FS

// kindSchema validates one kind as the API server does on create: prune unknown fields
// (reported here, as kubectl's field validation does), apply defaults, check the OpenAPI
// schema, then the CEL rules.
type kindSchema struct {
	structural *structuralschema.Structural
	openAPI    validation.SchemaValidator
	cel        *cel.Validator
}

var (
	schemasOnce sync.Once
	schemas     map[string]*kindSchema
	schemasErr  error
)

func loadSchemas() (map[string]*kindSchema, error) {
	schemasOnce.Do(func() {
		schemas = map[string]*kindSchema{}
		schemasErr = fs.WalkDir(crdFiles, "crds", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := crdFiles.ReadFile(path)
			if err != nil {
				return err
			}
			return addCRD(path, data)
		})
	})
	return schemas, schemasErr
}

func addCRD(path string, data []byte) error {
	var crd apiextensionsv1.CustomResourceDefinition
	if err := sigsyaml.Unmarshal(data, &crd); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, v := range crd.Spec.Versions {
		if v.Name != "v1alpha1" || v.Schema == nil {
			continue
		}
		var internal apiextensions.CustomResourceValidation
		if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(v.Schema, &internal, nil); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		s, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		openAPI, _, err := validation.NewSchemaValidator(internal.OpenAPIV3Schema)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		schemas[crd.Spec.Names.Kind] = &kindSchema{structural: s, openAPI: openAPI,
			cel: cel.NewValidator(s, true, celconfig.PerCallLimit)}
	}
	return nil
}

// validateSchema checks a document against its kind's CRD schema.
func validateSchema(kind string, obj map[string]any) []finding {
	all, err := loadSchemas()
	if err != nil {
		return []finding{{"", "the embedded CRDs can't be loaded: " + err.Error()}}
	}
	s := all[kind]
	if s == nil {
		return nil
	}
	obj = runtime.DeepCopyJSON(obj)
	delete(obj, "status") // written by the controller, not by people
	var out []finding
	unknown := structuralpruning.PruneWithOptions(obj, s.structural, true,
		structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	for _, path := range unknown {
		out = append(out, finding{path, "unknown field: the API server drops it (is it misspelt or misplaced?)"})
	}
	structuraldefaulting.Default(obj, s.structural)
	errs := validation.ValidateCustomResource(nil, obj, s.openAPI)
	celErrs, _ := s.cel.Validate(context.Background(), nil, s.structural, obj, nil, celconfig.RuntimeCELCostBudget)
	for _, e := range celErrs {
		// A rule that could not even evaluate (a field of the wrong type) only echoes the
		// type error the schema already reported.
		if len(errs) == 0 || !strings.Contains(e.Detail, "evaluating rule") {
			errs = append(errs, e)
		}
	}
	for _, e := range errs {
		field := strings.TrimPrefix(e.Field, "<nil>.")
		msg := e.ErrorBody()
		// ErrorBody starts with the error type ("Invalid value: …"); the detail is clearer,
		// without the "<field> in body" the line already names.
		if e.Detail != "" && !strings.Contains(msg, "Required value") && !strings.Contains(msg, "Unsupported value") {
			msg = strings.TrimPrefix(e.Detail, field+" in body ")
		}
		out = append(out, finding{field, msg})
	}
	return out
}
