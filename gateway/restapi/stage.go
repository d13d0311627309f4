package restapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Stage mirrors the fields of API Gateway's Stage resource that the
// reference gateway implements. Field names are AWS's.
type Stage struct {
	StageName   string            `yaml:"stageName"`
	Description string            `yaml:"description"`
	Variables   map[string]string `yaml:"variables"`
}

// StageFile is the on-disk shape: a list of stages for one API.
type StageFile struct {
	Stages []Stage `yaml:"stages"`
}

// Limits on stage names and variables (spec §7, §12).
var (
	stageNameRE     = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	stageVarNameRE  = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)
	stageVarValueRE = regexp.MustCompile(`^[A-Za-z0-9\-._~:/?#&=,]{1,512}$`)
)

const maxStageVariables = 100

// LoadStageFile reads and validates a stage file.
func LoadStageFile(path string) ([]Stage, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("stage file: %w", err)
	}
	return LoadStages(path, data)
}

// LoadStages parses and validates stage YAML; name is used in errors.
func LoadStages(name string, data []byte) ([]Stage, error) {
	var f StageFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, &ConfigError{File: name, Problems: []string{strings.TrimPrefix(err.Error(), "yaml: ") + " (fix: a stage file is `stages: [{stageName: prod, variables: {name: value}}]`)"}}
	}
	var p problems
	if len(f.Stages) == 0 {
		p.addf("stages", "no stages; add at least one `- stageName: prod`")
	}
	seen := map[string]bool{}
	for i, s := range f.Stages {
		field := fmt.Sprintf("stages[%d]", i)
		if !stageNameRE.MatchString(s.StageName) {
			p.addf(field+".stageName", "%q is not a valid stage name: use 1–128 letters, digits, - or _", s.StageName)
		}
		if seen[s.StageName] {
			p.addf(field+".stageName", "%q is declared twice", s.StageName)
		}
		seen[s.StageName] = true
		p.list = append(p.list, ValidateStageVariables(field+".variables", s.Variables)...)
	}
	if err := p.err(name); err != nil {
		return nil, err
	}
	return f.Stages, nil
}

// ValidateStageVariables checks names and values as API Gateway does and
// returns one message per problem.
func ValidateStageVariables(field string, vars map[string]string) []string {
	var p problems
	if len(vars) > maxStageVariables {
		p.addf(field, "%d variables; a stage may have at most %d", len(vars), maxStageVariables)
	}
	for _, k := range sortedKeys(vars) {
		if !stageVarNameRE.MatchString(k) {
			p.addf(field+"."+k, "variable names are 1–64 letters, digits or _")
		}
		if !stageVarValueRE.MatchString(vars[k]) {
			p.addf(field+"."+k, "value %q must be 1–512 characters from A-Z a-z 0-9 - . _ ~ : / ? # & = ,", vars[k])
		}
	}
	return p.list
}
