// Package kubernetes owns errconform's Kubernetes manifests: an Indexed Job
// whose JOB_COMPLETION_INDEX picks each pod's shard (job.yaml), the ConfigMap
// with its errconform.yaml (configmap.yaml), the shared volume for the shard
// reports (pvc.yaml), and the Job that merges them (merge/job.yaml).
// README.md says how to apply them. The package has no Go API: its test
// decodes every manifest strictly into k8s.io/api types and checks that the
// pieces fit together.
package kubernetes
