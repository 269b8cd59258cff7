package kubernetes_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/errconform/errconform/config"
	"github.com/errconform/errconform/tools/image/imagebuild"
)

// manifest is one decoded YAML document.
type manifest struct {
	file string // relative to this directory, slash-separated
	kind string
	obj  any
}

// newObject returns the k8s.io/api type a document decodes into. Kinds not
// listed are refused: in particular no Secret is committed (README.md creates
// it with kubectl).
func newObject(apiVersion, kind string) (any, error) {
	switch apiVersion + " " + kind {
	case "batch/v1 Job":
		return &batchv1.Job{}, nil
	case "v1 ConfigMap":
		return &corev1.ConfigMap{}, nil
	case "v1 PersistentVolumeClaim":
		return &corev1.PersistentVolumeClaim{}, nil
	case "v1 Secret":
		return nil, errors.New("a Secret is committed: secrets are created with kubectl (README.md), never stored here")
	}
	return nil, fmt.Errorf("apiVersion %q kind %q is not one the test knows", apiVersion, kind)
}

// decodeDocuments splits data into YAML documents and decodes each strictly:
// an unknown or duplicated field is an error.
func decodeDocuments(file string, data []byte) ([]manifest, error) {
	var out []manifest
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for i := 0; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", file, i, err)
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", file, i, err)
		}
		obj, err := newObject(tm.APIVersion, tm.Kind)
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", file, i, err)
		}
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			return nil, fmt.Errorf("%s: document %d (%s): %w", file, i, tm.Kind, err)
		}
		out = append(out, manifest{file: file, kind: tm.Kind, obj: obj})
	}
}

func stripComments(doc []byte) []byte {
	var b bytes.Buffer
	for _, line := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.Bytes()
}

// loadManifests decodes every .yaml and .yml file under this directory.
func loadManifests(t *testing.T) []manifest {
	t.Helper()
	var all []manifest
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := filepath.Ext(path); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		ms, err := decodeDocuments(filepath.ToSlash(path), data)
		if err != nil {
			return err
		}
		all = append(all, ms...)
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, all)
	return all
}

// set is the deployment, each object found by name.
type set struct {
	jobs       map[string]*batchv1.Job
	jobFiles   map[string]string
	configMaps map[string]*corev1.ConfigMap
	pvcs       map[string]*corev1.PersistentVolumeClaim
}

func loadSet(t *testing.T) set {
	t.Helper()
	s := set{jobs: map[string]*batchv1.Job{}, jobFiles: map[string]string{}, configMaps: map[string]*corev1.ConfigMap{}, pvcs: map[string]*corev1.PersistentVolumeClaim{}}
	for _, m := range loadManifests(t) {
		switch o := m.obj.(type) {
		case *batchv1.Job:
			require.NotContains(t, s.jobs, o.Name, "two Jobs named %s", o.Name)
			s.jobs[o.Name], s.jobFiles[o.Name] = o, m.file
		case *corev1.ConfigMap:
			s.configMaps[o.Name] = o
		case *corev1.PersistentVolumeClaim:
			s.pvcs[o.Name] = o
		}
	}
	return s
}

// TestStrictDecoding proves the decoder refuses what Kubernetes would not
// know, so that a passing TestManifests means every field is real.
func TestStrictDecoding(t *testing.T) {
	const job = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: x\nspec:\n  completions: 1\n"
	for _, tc := range []struct {
		name string
		doc  string
		want string // empty: decodes
	}{
		{"a valid Job", job, ""},
		{"a misspelt field", strings.Replace(job, "completions", "completion", 1), "unknown field"},
		{"a field at the wrong level", job + "completionMode: Indexed\n", "unknown field"},
		{"a duplicated field", job + "  completions: 2\n", "already set"},
		{"a wrong type", strings.Replace(job, "completions: 1", "completions: four", 1), "cannot unmarshal"},
		{"a committed Secret", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  api-key: x\n", "a Secret is committed"},
		{"an unknown kind", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n", "not one the test knows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeDocuments("test.yaml", []byte(tc.doc))
			if tc.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

var shardArg = regexp.MustCompile(`^\$\(JOB_COMPLETION_INDEX\)/([1-9][0-9]*)$`)

// flagValue returns the value after flag in args.
func flagValue(t *testing.T, args []string, flag string) string {
	t.Helper()
	for i, a := range args {
		if a == flag {
			require.Less(t, i+1, len(args), "%s has no value", flag)
			return args[i+1]
		}
	}
	t.Fatalf("args %q have no %s", args, flag)
	return ""
}

// TestManifests checks that the pieces fit: the shard Job's index picks the
// shard, the merge Job lists every shard's report, the image is the one make
// image tags, everything runs as non-root, and the ConfigMap's errconform.yaml
// is a config errconform accepts.
func TestManifests(t *testing.T) {
	s := loadSet(t)
	shards := s.jobs["errconform-shards"]
	merge := s.jobs["errconform-merge"]
	require.NotNil(t, shards, "no Job errconform-shards")
	require.NotNil(t, merge, "no Job errconform-merge")
	require.Len(t, shards.Spec.Template.Spec.Containers, 1)
	require.Len(t, merge.Spec.Template.Spec.Containers, 1)
	shard := shards.Spec.Template.Spec.Containers[0]
	merger := merge.Spec.Template.Spec.Containers[0]

	var n int
	t.Run("the shard Job is Indexed and the index picks the shard", func(t *testing.T) {
		spec := shards.Spec
		require.NotNil(t, spec.CompletionMode)
		assert.Equal(t, batchv1.IndexedCompletion, *spec.CompletionMode)
		require.Equal(t, "run", shard.Args[0], "the container runs errconform run")
		assert.Empty(t, shard.Command, "the image's entrypoint is errconform")
		m := shardArg.FindStringSubmatch(flagValue(t, shard.Args, "--shard"))
		require.NotNil(t, m, "--shard is not $(JOB_COMPLETION_INDEX)/N")
		var err error
		n, err = strconv.Atoi(m[1])
		require.NoError(t, err)
		require.NotNil(t, spec.Completions)
		require.NotNil(t, spec.Parallelism)
		assert.Equal(t, int32(n), *spec.Completions, "completions is the N of --shard")
		assert.Equal(t, int32(n), *spec.Parallelism, "parallelism is the N of --shard")
		assert.Equal(t, "/reports/shard-$(JOB_COMPLETION_INDEX).json", flagValue(t, shard.Args, "--json"))
		// $(JOB_COMPLETION_INDEX) expands only from the container's env.
		env := envByName(shard.Env)
		require.Contains(t, env, "JOB_COMPLETION_INDEX")
		require.NotNil(t, env["JOB_COMPLETION_INDEX"].ValueFrom)
		require.NotNil(t, env["JOB_COMPLETION_INDEX"].ValueFrom.FieldRef)
		assert.Equal(t, "metadata.annotations['batch.kubernetes.io/job-completion-index']", env["JOB_COMPLETION_INDEX"].ValueFrom.FieldRef.FieldPath)
	})
	require.Positive(t, n)

	t.Run("the Jobs bound their retries and time", func(t *testing.T) {
		for _, job := range []*batchv1.Job{shards, merge} {
			spec := job.Spec
			assert.NotNil(t, spec.BackoffLimit, "%s: backoffLimit", job.Name)
			if assert.NotNil(t, spec.ActiveDeadlineSeconds, "%s: activeDeadlineSeconds", job.Name) {
				assert.Positive(t, *spec.ActiveDeadlineSeconds)
			}
			assert.Equal(t, corev1.RestartPolicyNever, spec.Template.Spec.RestartPolicy, "%s: a podFailurePolicy needs restartPolicy Never", job.Name)
			require.NotNil(t, spec.PodFailurePolicy, "%s: podFailurePolicy", job.Name)
		}
		assert.NotNil(t, shards.Spec.BackoffLimitPerIndex, "a shard is retried on its own")
		// A shard that found broken rules (exit 1) has written its report:
		// it is not rerun; a config error (exit 2) fails every shard alike.
		actions := map[int32]batchv1.PodFailurePolicyAction{}
		for _, r := range shards.Spec.PodFailurePolicy.Rules {
			if r.OnExitCodes != nil {
				for _, code := range r.OnExitCodes.Values {
					actions[code] = r.Action
				}
			}
		}
		assert.Equal(t, batchv1.PodFailurePolicyActionFailIndex, actions[1])
		assert.Equal(t, batchv1.PodFailurePolicyActionFailJob, actions[2])
		assert.NotContains(t, actions, int32(3), "an unreachable target (exit 3) is retried")
	})

	t.Run("the merge Job lists exactly the shard reports", func(t *testing.T) {
		require.NotEmpty(t, merger.Args)
		assert.Equal(t, "merge", merger.Args[0])
		assert.Empty(t, merger.Command, "the image's entrypoint is errconform; it has no shell to glob with")
		var inputs []string
		for _, a := range merger.Args[1:] {
			if strings.HasPrefix(a, "-") {
				break
			}
			inputs = append(inputs, a)
		}
		want := make([]string, n)
		for i := range want {
			want[i] = fmt.Sprintf("/reports/shard-%d.json", i)
		}
		assert.Equal(t, want, inputs)
		for flag, path := range map[string]string{"--json": "/reports/merged.json", "--junit": "/reports/junit.xml", "--html": "/reports/report.html", "--markdown": "/reports/summary.md"} {
			assert.Equal(t, path, flagValue(t, merger.Args, flag))
		}
		for _, a := range merger.Args {
			assert.NotContains(t, a, "*", "no shell expands a glob in the image")
		}
		assert.Equal(t, "merge/job.yaml", s.jobFiles[merge.Name], "the merge Job is kept out of the top directory, so that applying it does not start the merge early")
		assert.Equal(t, "job.yaml", s.jobFiles[shards.Name])
	})

	t.Run("both Jobs share the reports volume", func(t *testing.T) {
		for _, job := range []*batchv1.Job{shards, merge} {
			c := job.Spec.Template.Spec.Containers[0]
			v := volumeAt(t, job, c, "/reports")
			require.NotNil(t, v.PersistentVolumeClaim, "%s: /reports is not a PersistentVolumeClaim", job.Name)
			pvc, ok := s.pvcs[v.PersistentVolumeClaim.ClaimName]
			require.True(t, ok, "%s: claim %s has no manifest", job.Name, v.PersistentVolumeClaim.ClaimName)
			assert.Contains(t, pvc.Spec.AccessModes, corev1.ReadWriteMany, "the shards may run on different nodes")
			assert.False(t, v.PersistentVolumeClaim.ReadOnly)
		}
	})

	t.Run("the image is the one make image tags", func(t *testing.T) {
		version := actionVersion(t)
		want := imagebuild.Repository + ":" + imagebuild.TagFor(version)
		for _, job := range []*batchv1.Job{shards, merge} {
			for _, c := range append(job.Spec.Template.Spec.InitContainers, job.Spec.Template.Spec.Containers...) {
				assert.Equal(t, want, c.Image, "%s/%s: the image is the release action.yml installs", job.Name, c.Name)
			}
		}
	})

	t.Run("every pod runs as the image's non-root user, locked down", func(t *testing.T) {
		for _, job := range []*batchv1.Job{shards, merge} {
			pod := job.Spec.Template.Spec
			require.NotNil(t, pod.SecurityContext, job.Name)
			assertNonRoot(t, job.Name+" pod", pod.SecurityContext.RunAsNonRoot, pod.SecurityContext.RunAsUser)
			assert.NotNil(t, pod.AutomountServiceAccountToken)
			if pod.AutomountServiceAccountToken != nil {
				assert.False(t, *pod.AutomountServiceAccountToken, "%s: no API token in a pod that needs none", job.Name)
			}
			for _, c := range append(pod.InitContainers, pod.Containers...) {
				name := job.Name + "/" + c.Name
				sc := c.SecurityContext
				require.NotNil(t, sc, "%s: securityContext", name)
				assertNonRoot(t, name, sc.RunAsNonRoot, sc.RunAsUser)
				assert.Equal(t, ptrTrue, boolOf(sc.ReadOnlyRootFilesystem), "%s: readOnlyRootFilesystem", name)
				assert.Equal(t, ptrFalse, boolOf(sc.AllowPrivilegeEscalation), "%s: allowPrivilegeEscalation", name)
				assert.False(t, sc.Privileged != nil && *sc.Privileged, "%s: privileged", name)
				if assert.NotNil(t, sc.Capabilities, "%s: capabilities", name) {
					assert.Equal(t, []corev1.Capability{"ALL"}, sc.Capabilities.Drop, "%s: drops every capability", name)
					assert.Empty(t, sc.Capabilities.Add, "%s: adds no capability", name)
				}
				if assert.NotNil(t, sc.SeccompProfile, "%s: seccompProfile", name) {
					assert.Equal(t, corev1.SeccompProfileTypeRuntimeDefault, sc.SeccompProfile.Type, name)
				}
				for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
					assert.Contains(t, c.Resources.Requests, r, "%s: requests %s", name, r)
					assert.Contains(t, c.Resources.Limits, r, "%s: limits %s", name, r)
				}
				// A read-only root needs a writable /tmp.
				v := volumeAt(t, job, c, "/tmp")
				assert.NotNil(t, v.EmptyDir, "%s: /tmp is an emptyDir", name)
			}
		}
	})

	t.Run("secrets come from a Secret, never from a manifest", func(t *testing.T) {
		env := envByName(shard.Env)
		key, ok := env["ERRCONFORM_API_KEY"]
		require.True(t, ok, "the shards get ERRCONFORM_API_KEY")
		require.NotNil(t, key.ValueFrom)
		require.NotNil(t, key.ValueFrom.SecretKeyRef, "ERRCONFORM_API_KEY comes from a Secret")
		assert.Equal(t, "errconform-credentials", key.ValueFrom.SecretKeyRef.Name, "the Secret README.md creates")
		assert.Equal(t, "api-key", key.ValueFrom.SecretKeyRef.Key)
		secretish := regexp.MustCompile(`(?i)KEY|TOKEN|SECRET|PASSWORD`)
		for _, job := range []*batchv1.Job{shards, merge} {
			for _, e := range job.Spec.Template.Spec.Containers[0].Env {
				if secretish.MatchString(e.Name) {
					assert.Empty(t, e.Value, "%s: %s holds a literal value", job.Name, e.Name)
				}
			}
		}
	})

	t.Run("the ConfigMap's errconform.yaml is a config errconform accepts", func(t *testing.T) {
		v := volumeAt(t, shards, shard, "/etc/errconform")
		require.NotNil(t, v.ConfigMap, "/etc/errconform is a ConfigMap")
		cm, ok := s.configMaps[v.ConfigMap.Name]
		require.True(t, ok, "ConfigMap %s has no manifest", v.ConfigMap.Name)
		path := flagValue(t, shard.Args, "--config")
		require.Equal(t, "/etc/errconform/errconform.yaml", path)
		require.Len(t, v.ConfigMap.Items, 1)
		assert.Equal(t, filepath.Base(path), v.ConfigMap.Items[0].Path)
		data, ok := cm.Data[v.ConfigMap.Items[0].Key]
		require.True(t, ok, "ConfigMap %s has no key %s", cm.Name, v.ConfigMap.Items[0].Key)

		// The pod's environment as Kubernetes would set it, with a stand-in
		// for the Secret's value.
		podEnv := map[string]string{}
		for name, e := range envByName(shard.Env) {
			switch {
			case e.ValueFrom == nil:
				podEnv[name] = e.Value
			case e.ValueFrom.ConfigMapKeyRef != nil:
				ref := e.ValueFrom.ConfigMapKeyRef
				ref2, ok := s.configMaps[ref.Name]
				require.True(t, ok, "%s: ConfigMap %s has no manifest", name, ref.Name)
				val, ok := ref2.Data[ref.Key]
				require.True(t, ok, "%s: ConfigMap %s has no key %s", name, ref.Name, ref.Key)
				podEnv[name] = val
			case e.ValueFrom.SecretKeyRef != nil:
				podEnv[name] = "sk-test-" + strings.Repeat("x", 32)
			case e.ValueFrom.FieldRef != nil:
				podEnv[name] = "0"
			}
		}
		// Every ${VAR} the file uses is in the pod's environment.
		for _, m := range regexp.MustCompile(`\$\{(\w+)\}`).FindAllStringSubmatch(data, -1) {
			assert.Contains(t, podEnv, m[1], "errconform.yaml uses ${%s}, which the shard pods do not set", m[1])
		}
		lookup := func(k string) (string, bool) { v, ok := podEnv[k]; return v, ok }
		cfg, err := config.Parse(path, []byte(data), lookup)
		require.NoError(t, err)
		assert.Equal(t, podEnv["ERRCONFORM_TARGET"], cfg.Target.BaseURL)
		assert.True(t, strings.HasPrefix(cfg.Target.BaseURL, "https://"), "the target is remote, over TLS: %s", cfg.Target.BaseURL)
		assert.Equal(t, podEnv["ERRCONFORM_API_KEY"], cfg.Auth.APIKey)
		assert.NotContains(t, data, "sk-", "no key is written into the ConfigMap")
	})

	t.Run("every object is labelled as part of errconform", func(t *testing.T) {
		var names []string
		for _, m := range loadManifests(t) {
			meta, ok := m.obj.(metav1.Object)
			require.True(t, ok)
			names = append(names, m.kind+"/"+meta.GetName())
			assert.Equal(t, "errconform", meta.GetLabels()["app.kubernetes.io/part-of"], "%s %s", m.kind, meta.GetName())
			assert.Empty(t, meta.GetNamespace(), "%s %s: the namespace is kubectl's -n", m.kind, meta.GetName())
		}
		sort.Strings(names)
		assert.Equal(t, []string{"ConfigMap/errconform", "Job/errconform-merge", "Job/errconform-shards", "PersistentVolumeClaim/errconform-reports"}, names)
	})
}

// boolOf's answers for a set field.
const (
	ptrTrue  = "true"
	ptrFalse = "false"
)

func boolOf(b *bool) string {
	if b == nil {
		return "unset"
	}
	return strconv.FormatBool(*b)
}

func assertNonRoot(t *testing.T, what string, runAsNonRoot *bool, runAsUser *int64) {
	t.Helper()
	assert.Equal(t, ptrTrue, boolOf(runAsNonRoot), "%s: runAsNonRoot", what)
	if assert.NotNil(t, runAsUser, "%s: runAsUser", what) {
		assert.Equal(t, int64(imagebuild.UID), *runAsUser, "%s: runs as the image's user", what)
	}
}

func envByName(env []corev1.EnvVar) map[string]corev1.EnvVar {
	out := make(map[string]corev1.EnvVar, len(env))
	for _, e := range env {
		out[e.Name] = e
	}
	return out
}

// volumeAt returns the pod volume mounted at path in container c.
func volumeAt(t *testing.T, job *batchv1.Job, c corev1.Container, path string) corev1.Volume {
	t.Helper()
	for _, m := range c.VolumeMounts {
		if m.MountPath != path {
			continue
		}
		for _, v := range job.Spec.Template.Spec.Volumes {
			if v.Name == m.Name {
				return v
			}
		}
		t.Fatalf("%s/%s mounts volume %s, which the pod does not have", job.Name, c.Name, m.Name)
	}
	t.Fatalf("%s/%s mounts nothing at %s", job.Name, c.Name, path)
	return corev1.Volume{}
}

// actionVersion is the release version action.yml installs, the tag the
// manifests run (make dist refuses a release until action.yml names it).
func actionVersion(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	require.NoError(t, err)
	var action struct {
		Inputs map[string]struct {
			Default string `json:"default"`
		} `json:"inputs"`
	}
	require.NoError(t, yaml.Unmarshal(data, &action))
	v := action.Inputs["version"].Default
	require.Regexp(t, `^[0-9]+\.[0-9]+\.[0-9]+$`, v, "action.yml's version default")
	return v
}
