//! The server-side column definitions of every built-in printer, as data.
//!
//! Transcribed from `pkg/printers/internalversion/printers.go` `AddHandlers` (kubernetes/kubernetes,
//! the 1.3x line). Descriptions are the upstream `SwaggerDoc()` field docs (k8s.io/api 1.36) or the
//! literal strings of `AddHandlers`. `Type` is what `AddHandlers` declares (Pod `Restarts` is `"string"`).
//! UNVERIFIED: descriptions that `AddHandlers` takes from removed beta types (`extensions/v1beta1`
//! ReplicaSet/DaemonSet, `batch/v1beta1` CronJob, `autoscaling/v2beta1` HPA, `rbac/v1beta1` bindings,
//! `extensions/v1beta1` NetworkPolicy) are copied from the GA type docs; the Deployment ones were checked
//! against the golden recordings and match.

/// One `metav1.TableColumnDefinition` (`staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/types.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// `name`: the header kubectl shows (upper-cased by kubectl).
    pub name: &'static str,
    /// `type`: OpenAPI type (`string`, `integer`, `number`, `boolean`, `date`).
    pub type_: &'static str,
    /// `format`: `name` for the object name column, else empty.
    pub format: &'static str,
    /// `description`: the field doc.
    pub description: &'static str,
    /// `priority`: 0 = always shown, 1 = `-o wide` only.
    pub priority: i32,
}

/// Which print function computes the cells (the `print<Kind>` functions of `printers.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintKind {
    /// `printComponentStatus`.
    ComponentStatus,
    /// `printConfigMap`.
    ConfigMap,
    /// `printCronJob`.
    CronJob,
    /// `printCsiNode`.
    CsiNode,
    /// `printDaemonSet`.
    DaemonSet,
    /// `printDeployment`.
    Deployment,
    /// `printEndpointSlice`.
    EndpointSlice,
    /// `printEndpoints`.
    Endpoints,
    /// `printEvent`.
    Event,
    /// `printHorizontalPodAutoscaler`.
    HorizontalPodAutoscaler,
    /// `printIngress`.
    Ingress,
    /// `printIngressClass`.
    IngressClass,
    /// `printJob`.
    Job,
    /// `printLease`.
    Lease,
    /// `printNamespace`.
    Namespace,
    /// `printNetworkPolicy`.
    NetworkPolicy,
    /// `printNode`.
    Node,
    /// `printPersistentVolume`.
    PersistentVolume,
    /// `printPersistentVolumeClaim`.
    PersistentVolumeClaim,
    /// `printPod`.
    Pod,
    /// `printPodDisruptionBudget`.
    PodDisruptionBudget,
    /// `printPodTemplate`.
    PodTemplate,
    /// `printPriorityClass`.
    PriorityClass,
    /// `printReplicaSet`.
    ReplicaSet,
    /// `printReplicationController`.
    ReplicationController,
    /// `printResourceQuota`.
    ResourceQuota,
    /// `printRoleBinding`.
    RoleBinding,
    /// `printRuntimeClass`.
    RuntimeClass,
    /// `printSecret`.
    Secret,
    /// `printService`.
    Service,
    /// `printServiceAccount`.
    ServiceAccount,
    /// `printStatefulSet`.
    StatefulSet,
    /// `printStorageClass`.
    StorageClass,
    /// `printWebhookConfiguration`.
    WebhookConfiguration,
}

/// One registered printer: group (`""` = core), plural resource, columns, print function.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    /// API group, `""` for the core group.
    pub group: &'static str,
    /// Plural resource name.
    pub resource: &'static str,
    /// The column definitions, in `AddHandlers` order.
    pub columns: &'static [Column],
    /// The print function.
    pub kind: PrintKind,
}

/// `metav1.ObjectMeta{}.SwaggerDoc()["name"]`, used by every Name column and the default convertor.
pub const META_NAME: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
/// `metav1.ObjectMeta{}.SwaggerDoc()["creationTimestamp"]`, used by every Age column and "Created At".
pub const META_CREATION_TIMESTAMP: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const CJ_ACTIVE: &str = "A list of pointers to currently running jobs.";
const CJ_LAST_SCHEDULE: &str =
    "Information when was the last time the job was successfully scheduled.";
const CJ_SCHEDULE: &str = "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.";
const CJ_SUSPEND: &str = "This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false.";
const CJ_TIMEZONE: &str = "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, this will default to the time zone of the kube-controller-manager process. The set of valid time zone names and the time zone offset is loaded from the system-wide time zone database by the API server during CronJob validation and the controller manager during execution. If no system-wide time zone database can be found a bundled version of the database is used instead. If the time zone name becomes invalid during the lifetime of a CronJob or due to a change in host configuration, the controller will stop creating new new Jobs and will create a system event with the reason UnknownTimeZone. More information can be found in https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones";
const CM_DATA: &str = "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.";
const CONTAINERS: &str = "Names of each container in the template.";
const CRB_GROUPS: &str = "Groups in the clusterRoleBinding";
const CRB_ROLE_REF: &str = "RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable.";
const CRB_SAS: &str = "ServiceAccounts in the clusterRoleBinding";
const CRB_USERS: &str = "Users in the clusterRoleBinding";
const CSINODE_DRIVERS: &str = "Drivers indicates the number of CSI drivers registered on the node";
const CS_ERROR: &str = "Error of the component conditions";
const CS_MESSAGE: &str = "Message of the component conditions";
const CS_STATUS: &str = "Status of the component conditions";
const DEPLOY_AVAILABLE: &str = "Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment.";
const DEPLOY_SELECTOR: &str = "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template's labels.";
const DEPLOY_UPDATED: &str = "Total number of non-terminating pods targeted by this deployment that have the desired template spec.";
const DS_AVAILABLE: &str = "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)";
const DS_CURRENT: &str = "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/";
const DS_DESIRED: &str = "The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/";
const DS_READY: &str = "numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.";
const DS_SELECTOR: &str = "A label query over pods that are managed by the daemon set. Must match in order to be controlled. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors";
const DS_UPDATED: &str = "The total number of nodes that are running updated daemon pod";
const EMPTY: &str = "";
const ENDPOINTS_SUBSETS: &str = "The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to the IPs they share. A single address with multiple ports, some of which are ready and some of which are not (because they come from different containers) will result in the address being displayed in different subsets for the different ports. No address will appear in both Addresses and NotReadyAddresses in the same subset. Sets of addresses and ports that comprise a service.";
const EPS_ADDRESS_TYPE: &str = "addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type. This field is immutable after creation. The following address types are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name. (Deprecated) The EndpointSlice controller only generates, and kube-proxy only processes, slices of addressType \"IPv4\" and \"IPv6\". No semantics are defined for the \"FQDN\" type.";
const EPS_ENDPOINTS: &str = "endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints.";
const EPS_PORTS: &str = "ports specifies the list of network ports exposed by each endpoint in this slice. Each port must have a unique name. Each slice may include a maximum of 100 ports. Services always have at least 1 port, so EndpointSlices generated by the EndpointSlice controller will likewise always have at least 1 port. EndpointSlices used for other purposes may have an empty ports list.";
const EVENT_COUNT: &str = "The number of times this event has occurred.";
const EVENT_FIRST_TIMESTAMP: &str =
    "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)";
const EVENT_INVOLVED_OBJECT: &str = "The object that this event is about.";
const EVENT_LAST_TIMESTAMP: &str =
    "The time at which the most recent occurrence of this event was recorded.";
const EVENT_MESSAGE: &str = "A human-readable description of the status of this operation.";
const EVENT_REASON: &str = "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.";
const EVENT_SOURCE: &str =
    "The component reporting this event. Should be a short machine understandable string.";
const EVENT_TYPE: &str =
    "Type of this event (Normal, Warning), new types could be added in the future";
const HPA_CURRENT: &str = "currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.";
const HPA_MAX: &str = "maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up. It cannot be less that minReplicas.";
const HPA_METRICS: &str = "metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used).  The desired replica count is calculated multiplying the ratio between the target value and the current value by the current number of pods.  Ergo, metrics used must decrease as the pod count is increased, and vice-versa.  See the individual metric source types for more information about how each type of metric must respond. If not set, the default metric will be set to 80% average CPU utilization.";
const HPA_MIN: &str = "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.  It defaults to 1 pod.  minReplicas is allowed to be 0 if the alpha feature gate HPAScaleToZero is enabled and at least one Object or External metric is configured.  Scaling is active as long as at least one metric value is available.";
const HPA_SCALE_TARGET: &str = "scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.";
const IC_CONTROLLER: &str = "Controller that is responsible for handling this class";
const IC_PARAMETERS: &str = "A reference to a resource with additional parameters";
const IMAGES: &str = "Images referenced by each container in the template.";
const ING_ADDRESS: &str = "Address is a list containing ingress points for the load-balancer";
const ING_CLASS: &str =
    "The name of the IngressClass resource that should be used for additional configuration";
const ING_HOSTS: &str = "Hosts that incoming requests are matched against before the ingress rule";
const ING_PORTS: &str = "Ports of TLS configurations that open";
const JOB_DURATION: &str = "Time required to complete the job.";
const JOB_SELECTOR: &str = "A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors";
const JOB_STATUS: &str = "Status of the job.";
const JOB_SUCCEEDED: &str = "The number of pods which reached phase Succeeded. The value increases monotonically for a given spec. However, it may decrease in reaction to scale down of elastic indexed jobs.";
const LEASE_HOLDER: &str = "holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name field.";
const NODE_ADDRESSES: &str = "List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field is declared as mergeable, but the merge key is not sufficiently unique, which can cause data corruption when it is merged. Callers should instead use a full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers should assume that addresses can change during the lifetime of a Node. However, there are some exceptions where this may not be possible, such as Pods that inherit a Node's address in its own status or consumers of the downward API (status.hostIP).";
const NODE_CONTAINER_RUNTIME: &str = "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).";
const NODE_KERNEL_VERSION: &str =
    "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).";
const NODE_KUBELET_VERSION: &str = "Kubelet Version reported by the node.";
const NODE_OS_IMAGE: &str =
    "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).";
const NODE_ROLES: &str = "The roles of the node";
const NODE_STATUS: &str = "The status of the node";
const NP_POD_SELECTOR: &str = "podSelector selects the pods to which this NetworkPolicy object applies. The array of rules is applied to any pods selected by this field. An empty selector matches all pods in the policy's namespace. Multiple network policies can select the same set of pods. In this case, the ingress rules for each are combined additively. This field is optional. If it is not specified, it defaults to an empty selector.";
const NS_STATUS: &str = "The status of the namespace";
const OBJREF_FIELD_PATH: &str = "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, this would take on a value like: \"spec.containers{name}\" (where \"name\" refers to the name of the container that triggered the event) or if no container name is specified \"spec.containers[2]\" (container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a part of an object.";
const PC_GLOBAL_DEFAULT: &str = "globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class. Only one PriorityClass can be marked as `globalDefault`. However, if more than one PriorityClasses exists with their `globalDefault` field set to true, the smallest value of such global default PriorityClasses will be used as the default priority.";
const PC_PREEMPTION: &str = "preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset.";
const PC_VALUE: &str = "value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec.";
const PDB_ALLOWED: &str = "Calculated number of pods that may be disrupted at this time.";
const PDB_MAX: &str = "The maximum number of pods that may be unavailable.";
const PDB_MIN: &str = "The minimum number of pods that must be available.";
const POD_IP: &str = "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.";
const POD_LABELS: &str = "The labels for the pod template.";
const POD_NODE_NAME: &str = "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename";
const POD_NODE_SELECTOR: &str = "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/";
const POD_NOMINATED_NODE: &str = "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.";
const POD_READINESS_GATES: &str = "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to \"True\" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates";
const POD_READY: &str = "The aggregate readiness state of this pod for accepting traffic.";
const POD_RESTARTS: &str = "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.";
const POD_STATUS: &str = "The aggregate status of the containers in this pod.";
const PVC_STATUS_ACCESS_MODES: &str = "accessModes contains the actual access modes the volume backing the PVC has. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes-1";
const PVC_STATUS_CAPACITY: &str =
    "capacity represents the actual resources of the underlying volume.";
const PVC_STATUS_PHASE: &str = "phase represents the current phase of PersistentVolumeClaim.";
const PVC_STORAGECLASS: &str = "StorageClass of the pvc";
const PVC_VAC: &str = "VolumeAttributesClass of the pvc";
const PVC_VOLUME_MODE: &str = "volumeMode defines what type of volume is required by the claim. Value of Filesystem is implied when not included in claim spec.";
const PVC_VOLUME_NAME: &str =
    "volumeName is the binding reference to the PersistentVolume backing this claim.";
const PV_ACCESS_MODES: &str = "accessModes contains all ways the volume can be mounted. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes";
const PV_CAPACITY: &str = "capacity is the description of the persistent volume's resources and capacity. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#capacity";
const PV_CLAIM_REF: &str = "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim. Expected to be non-nil when bound. claim.VolumeName is the authoritative bind between PV and PVC. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#binding";
const PV_RECLAIM: &str = "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim. Valid options are Retain (default for manually created PersistentVolumes), Delete (default for dynamically provisioned PersistentVolumes), and Recycle (deprecated). Recycle must be supported by the volume plugin underlying this PersistentVolume. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#reclaiming";
const PV_STATUS_PHASE: &str = "phase indicates if a volume is available, bound to a claim, or released by a claim. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#phase";
const PV_STATUS_REASON: &str = "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.";
const PV_STORAGECLASS: &str = "StorageClass of the pv";
const PV_VAC: &str = "VolumeAttributesClass of the pv";
const PV_VOLUME_MODE: &str = "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state. Value of Filesystem is implied when not included in spec.";
const RB_GROUPS: &str = "Groups in the roleBinding";
const RB_ROLE_REF: &str = "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable.";
const RB_SAS: &str = "ServiceAccounts in the roleBinding";
const RB_USERS: &str = "Users in the roleBinding";
const RC_SPEC_REPLICAS: &str = "Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller";
const RC_SPEC_SELECTOR: &str = "Selector is a label query over pods that should match the Replicas count. If Selector is empty, it is defaulted to the labels present on the Pod template. Label keys and values that must match in order to be controlled by this replication controller, if empty defaulted to labels on Pod template. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors";
const RC_STATUS_READY: &str = "The number of ready replicas for this replication controller.";
const RC_STATUS_REPLICAS: &str = "Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller";
const READY_PODS: &str = "Number of the pod with ready state";
const RQ_LIMIT: &str = "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.";
const RQ_REQUEST: &str =
    "Request represents a minimum amount of cpu/memory that a container may consume.";
const RS_SPEC_REPLICAS: &str = "Replicas is the number of desired pods. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset";
const RS_SPEC_SELECTOR: &str = "Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors";
const RS_STATUS_READY: &str =
    "The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.";
const RS_STATUS_REPLICAS: &str = "Replicas is the most recently observed number of non-terminating pods. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset";
const SA_SECRETS: &str = "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use. Pods are only limited to this list if this service account has a \"kubernetes.io/enforce-mountable-secrets\" annotation set to \"true\". The \"kubernetes.io/enforce-mountable-secrets\" annotation is deprecated since v1.32. Prefer separate namespaces to isolate access to mounted secrets. This field should not be used to find auto-generated service account token secrets for use outside of pods. Instead, tokens can be requested directly using the TokenRequest API, or service account token secrets can be manually created. More info: https://kubernetes.io/docs/concepts/configuration/secret";
const SC_BINDING_MODE: &str = "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature.";
const SC_EXPANSION: &str =
    "allowVolumeExpansion shows whether the storage class allow volume expand.";
const SC_PROVISIONER: &str = "provisioner indicates the type of the provisioner.";
const SC_RECLAIM: &str = "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete.";
const SECRET_DATA: &str = "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4";
const SECRET_TYPE: &str = "Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types";
const SVC_CLUSTER_IP: &str = "clusterIP is the IP address of the service and is usually assigned randomly. If an address is specified manually, is in-range (as per system configuration), and is not in use, it will be allocated to the service; otherwise creation of the service will fail. This field may not be changed through updates unless the type field is also being changed to ExternalName (which requires this field to be blank) or the type field is being changed from ExternalName (in which case this field may optionally be specified, as describe above).  Valid values are \"None\", empty string (\"\"), or a valid IP address. Setting this to \"None\" makes a \"headless service\" (no virtual IP), which is useful when direct endpoint connections are preferred and proxying is not required.  Only applies to types ClusterIP, NodePort, and LoadBalancer. If this field is specified when creating a Service of type ExternalName, creation will fail. This field will be wiped when updating a Service to type ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies";
const SVC_EXTERNAL_IPS: &str = "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.  These IPs are not managed by Kubernetes.  The user is responsible for ensuring that traffic arrives at a node with this IP.  A common example is external load-balancers that are not part of the Kubernetes system.";
const SVC_PORTS: &str = "The list of ports that are exposed by this service. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies";
const SVC_SELECTOR: &str = "Route service traffic to pods with label keys and values matching this selector. If empty or not present, the service is assumed to have an external process managing its endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/";
const SVC_TYPE: &str = "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer. \"ClusterIP\" allocates a cluster-internal IP address for load-balancing to endpoints. Endpoints are determined by the selector or if that is not specified, by manual construction of an Endpoints object or EndpointSlice objects. If clusterIP is \"None\", no virtual IP is allocated and the endpoints are published as a set of endpoints rather than a virtual IP. \"NodePort\" builds on ClusterIP and allocates a port on every node which routes to the same endpoints as the clusterIP. \"LoadBalancer\" builds on NodePort and creates an external load-balancer (if supported in the current cloud) which routes to the same endpoints as the clusterIP. \"ExternalName\" aliases this service to the specified externalName. Several other fields do not apply to ExternalName services. More info: https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types";
const WEBHOOKS: &str = "Webhooks indicates the number of webhooks registered in this configuration";

/// Columns of `componentstatuses` (`AddHandlers`).
pub const COMPONENT_STATUS_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Status",
        type_: "string",
        format: "",
        description: CS_STATUS,
        priority: 0,
    },
    Column {
        name: "Message",
        type_: "string",
        format: "",
        description: CS_MESSAGE,
        priority: 0,
    },
    Column {
        name: "Error",
        type_: "string",
        format: "",
        description: CS_ERROR,
        priority: 0,
    },
];

/// Columns of `configmaps` (`AddHandlers`).
pub const CONFIG_MAP_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Data",
        type_: "string",
        format: "",
        description: CM_DATA,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
];

/// Columns of `endpoints` (`AddHandlers`).
pub const ENDPOINTS_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Endpoints",
        type_: "string",
        format: "",
        description: ENDPOINTS_SUBSETS,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
];

/// Columns of `events` (`AddHandlers`).
pub const EVENT_COLUMNS: &[Column] = &[
    Column {
        name: "Last Seen",
        type_: "string",
        format: "",
        description: EVENT_LAST_TIMESTAMP,
        priority: 0,
    },
    Column {
        name: "Type",
        type_: "string",
        format: "",
        description: EVENT_TYPE,
        priority: 0,
    },
    Column {
        name: "Reason",
        type_: "string",
        format: "",
        description: EVENT_REASON,
        priority: 0,
    },
    Column {
        name: "Object",
        type_: "string",
        format: "",
        description: EVENT_INVOLVED_OBJECT,
        priority: 0,
    },
    Column {
        name: "Subobject",
        type_: "string",
        format: "",
        description: OBJREF_FIELD_PATH,
        priority: 1,
    },
    Column {
        name: "Source",
        type_: "string",
        format: "",
        description: EVENT_SOURCE,
        priority: 1,
    },
    Column {
        name: "Message",
        type_: "string",
        format: "",
        description: EVENT_MESSAGE,
        priority: 0,
    },
    Column {
        name: "First Seen",
        type_: "string",
        format: "",
        description: EVENT_FIRST_TIMESTAMP,
        priority: 1,
    },
    Column {
        name: "Count",
        type_: "string",
        format: "",
        description: EVENT_COUNT,
        priority: 1,
    },
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 1,
    },
];

/// Columns of `namespaces` (`AddHandlers`).
pub const NAMESPACE_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Status",
        type_: "string",
        format: "",
        description: NS_STATUS,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
];

/// Columns of `nodes` (`AddHandlers`).
pub const NODE_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Status",
        type_: "string",
        format: "",
        description: NODE_STATUS,
        priority: 0,
    },
    Column {
        name: "Roles",
        type_: "string",
        format: "",
        description: NODE_ROLES,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
    Column {
        name: "Version",
        type_: "string",
        format: "",
        description: NODE_KUBELET_VERSION,
        priority: 0,
    },
    Column {
        name: "Internal-IP",
        type_: "string",
        format: "",
        description: NODE_ADDRESSES,
        priority: 1,
    },
    Column {
        name: "External-IP",
        type_: "string",
        format: "",
        description: NODE_ADDRESSES,
        priority: 1,
    },
    Column {
        name: "OS-Image",
        type_: "string",
        format: "",
        description: NODE_OS_IMAGE,
        priority: 1,
    },
    Column {
        name: "Kernel-Version",
        type_: "string",
        format: "",
        description: NODE_KERNEL_VERSION,
        priority: 1,
    },
    Column {
        name: "Container-Runtime",
        type_: "string",
        format: "",
        description: NODE_CONTAINER_RUNTIME,
        priority: 1,
    },
];

/// Columns of `persistentvolumeclaims` (`AddHandlers`).
pub const PVC_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Status",
        type_: "string",
        format: "",
        description: PVC_STATUS_PHASE,
        priority: 0,
    },
    Column {
        name: "Volume",
        type_: "string",
        format: "",
        description: PVC_VOLUME_NAME,
        priority: 0,
    },
    Column {
        name: "Capacity",
        type_: "string",
        format: "",
        description: PVC_STATUS_CAPACITY,
        priority: 0,
    },
    Column {
        name: "Access Modes",
        type_: "string",
        format: "",
        description: PVC_STATUS_ACCESS_MODES,
        priority: 0,
    },
    Column {
        name: "StorageClass",
        type_: "string",
        format: "",
        description: PVC_STORAGECLASS,
        priority: 0,
    },
    Column {
        name: "VolumeAttributesClass",
        type_: "string",
        format: "",
        description: PVC_VAC,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
    Column {
        name: "VolumeMode",
        type_: "string",
        format: "",
        description: PVC_VOLUME_MODE,
        priority: 1,
    },
];

/// Columns of `persistentvolumes` (`AddHandlers`).
pub const PV_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Capacity",
        type_: "string",
        format: "",
        description: PV_CAPACITY,
        priority: 0,
    },
    Column {
        name: "Access Modes",
        type_: "string",
        format: "",
        description: PV_ACCESS_MODES,
        priority: 0,
    },
    Column {
        name: "Reclaim Policy",
        type_: "string",
        format: "",
        description: PV_RECLAIM,
        priority: 0,
    },
    Column {
        name: "Status",
        type_: "string",
        format: "",
        description: PV_STATUS_PHASE,
        priority: 0,
    },
    Column {
        name: "Claim",
        type_: "string",
        format: "",
        description: PV_CLAIM_REF,
        priority: 0,
    },
    Column {
        name: "StorageClass",
        type_: "string",
        format: "",
        description: PV_STORAGECLASS,
        priority: 0,
    },
    Column {
        name: "VolumeAttributesClass",
        type_: "string",
        format: "",
        description: PV_VAC,
        priority: 0,
    },
    Column {
        name: "Reason",
        type_: "string",
        format: "",
        description: PV_STATUS_REASON,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
    Column {
        name: "VolumeMode",
        type_: "string",
        format: "",
        description: PV_VOLUME_MODE,
        priority: 1,
    },
];

/// Columns of `pods` (`AddHandlers`).
pub const POD_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Ready",
        type_: "string",
        format: "",
        description: POD_READY,
        priority: 0,
    },
    Column {
        name: "Status",
        type_: "string",
        format: "",
        description: POD_STATUS,
        priority: 0,
    },
    Column {
        name: "Restarts",
        type_: "string",
        format: "",
        description: POD_RESTARTS,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
    Column {
        name: "IP",
        type_: "string",
        format: "",
        description: POD_IP,
        priority: 1,
    },
    Column {
        name: "Node",
        type_: "string",
        format: "",
        description: POD_NODE_NAME,
        priority: 1,
    },
    Column {
        name: "Nominated Node",
        type_: "string",
        format: "",
        description: POD_NOMINATED_NODE,
        priority: 1,
    },
    Column {
        name: "Readiness Gates",
        type_: "string",
        format: "",
        description: POD_READINESS_GATES,
        priority: 1,
    },
];

/// Columns of `podtemplates` (`AddHandlers`).
pub const POD_TEMPLATE_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Containers",
        type_: "string",
        format: "",
        description: CONTAINERS,
        priority: 0,
    },
    Column {
        name: "Images",
        type_: "string",
        format: "",
        description: IMAGES,
        priority: 0,
    },
    Column {
        name: "Pod Labels",
        type_: "string",
        format: "",
        description: POD_LABELS,
        priority: 0,
    },
];

/// Columns of `replicationcontrollers` (`AddHandlers`).
pub const RC_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Desired",
        type_: "integer",
        format: "",
        description: RC_SPEC_REPLICAS,
        priority: 0,
    },
    Column {
        name: "Current",
        type_: "integer",
        format: "",
        description: RC_STATUS_REPLICAS,
        priority: 0,
    },
    Column {
        name: "Ready",
        type_: "integer",
        format: "",
        description: RC_STATUS_READY,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
    Column {
        name: "Containers",
        type_: "string",
        format: "",
        description: CONTAINERS,
        priority: 1,
    },
    Column {
        name: "Images",
        type_: "string",
        format: "",
        description: IMAGES,
        priority: 1,
    },
    Column {
        name: "Selector",
        type_: "string",
        format: "",
        description: RC_SPEC_SELECTOR,
        priority: 1,
    },
];

/// Columns of `resourcequotas` (`AddHandlers`).
pub const RESOURCE_QUOTA_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Request",
        type_: "string",
        format: "",
        description: RQ_REQUEST,
        priority: 0,
    },
    Column {
        name: "Limit",
        type_: "string",
        format: "",
        description: RQ_LIMIT,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
];

/// Columns of `secrets` (`AddHandlers`).
pub const SECRET_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Type",
        type_: "string",
        format: "",
        description: SECRET_TYPE,
        priority: 0,
    },
    Column {
        name: "Data",
        type_: "string",
        format: "",
        description: SECRET_DATA,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
];

/// Columns of `serviceaccounts` (`AddHandlers`).
pub const SERVICE_ACCOUNT_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Secrets",
        type_: "string",
        format: "",
        description: SA_SECRETS,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
];

/// Columns of `services` (`AddHandlers`).
pub const SERVICE_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Type",
        type_: "string",
        format: "",
        description: SVC_TYPE,
        priority: 0,
    },
    Column {
        name: "Cluster-IP",
        type_: "string",
        format: "",
        description: SVC_CLUSTER_IP,
        priority: 0,
    },
    Column {
        name: "External-IP",
        type_: "string",
        format: "",
        description: SVC_EXTERNAL_IPS,
        priority: 0,
    },
    Column {
        name: "Port(s)",
        type_: "string",
        format: "",
        description: SVC_PORTS,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
    Column {
        name: "Selector",
        type_: "string",
        format: "",
        description: SVC_SELECTOR,
        priority: 1,
    },
];

/// Columns of `mutatingwebhookconfigurations` (`AddHandlers`).
pub const MUTATING_WEBHOOK_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Webhooks",
        type_: "integer",
        format: "",
        description: WEBHOOKS,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
];

/// Columns of `validatingwebhookconfigurations` (`AddHandlers`).
pub const VALIDATING_WEBHOOK_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Webhooks",
        type_: "integer",
        format: "",
        description: WEBHOOKS,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
];

/// Columns of `daemonsets` (`AddHandlers`).
pub const DAEMON_SET_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Desired",
        type_: "integer",
        format: "",
        description: DS_DESIRED,
        priority: 0,
    },
    Column {
        name: "Current",
        type_: "integer",
        format: "",
        description: DS_CURRENT,
        priority: 0,
    },
    Column {
        name: "Ready",
        type_: "integer",
        format: "",
        description: DS_READY,
        priority: 0,
    },
    Column {
        name: "Up-to-date",
        type_: "integer",
        format: "",
        description: DS_UPDATED,
        priority: 0,
    },
    Column {
        name: "Available",
        type_: "integer",
        format: "",
        description: DS_AVAILABLE,
        priority: 0,
    },
    Column {
        name: "Node Selector",
        type_: "string",
        format: "",
        description: POD_NODE_SELECTOR,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
    Column {
        name: "Containers",
        type_: "string",
        format: "",
        description: CONTAINERS,
        priority: 1,
    },
    Column {
        name: "Images",
        type_: "string",
        format: "",
        description: IMAGES,
        priority: 1,
    },
    Column {
        name: "Selector",
        type_: "string",
        format: "",
        description: DS_SELECTOR,
        priority: 1,
    },
];

/// Columns of `deployments` (`AddHandlers`).
pub const DEPLOYMENT_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Ready",
        type_: "string",
        format: "",
        description: READY_PODS,
        priority: 0,
    },
    Column {
        name: "Up-to-date",
        type_: "string",
        format: "",
        description: DEPLOY_UPDATED,
        priority: 0,
    },
    Column {
        name: "Available",
        type_: "string",
        format: "",
        description: DEPLOY_AVAILABLE,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
    Column {
        name: "Containers",
        type_: "string",
        format: "",
        description: CONTAINERS,
        priority: 1,
    },
    Column {
        name: "Images",
        type_: "string",
        format: "",
        description: IMAGES,
        priority: 1,
    },
    Column {
        name: "Selector",
        type_: "string",
        format: "",
        description: DEPLOY_SELECTOR,
        priority: 1,
    },
];

/// Columns of `replicasets` (`AddHandlers`).
pub const REPLICA_SET_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Desired",
        type_: "integer",
        format: "",
        description: RS_SPEC_REPLICAS,
        priority: 0,
    },
    Column {
        name: "Current",
        type_: "integer",
        format: "",
        description: RS_STATUS_REPLICAS,
        priority: 0,
    },
    Column {
        name: "Ready",
        type_: "integer",
        format: "",
        description: RS_STATUS_READY,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
    Column {
        name: "Containers",
        type_: "string",
        format: "",
        description: CONTAINERS,
        priority: 1,
    },
    Column {
        name: "Images",
        type_: "string",
        format: "",
        description: IMAGES,
        priority: 1,
    },
    Column {
        name: "Selector",
        type_: "string",
        format: "",
        description: RS_SPEC_SELECTOR,
        priority: 1,
    },
];

/// Columns of `statefulsets` (`AddHandlers`).
pub const STATEFUL_SET_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Ready",
        type_: "string",
        format: "",
        description: READY_PODS,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
    Column {
        name: "Containers",
        type_: "string",
        format: "",
        description: CONTAINERS,
        priority: 1,
    },
    Column {
        name: "Images",
        type_: "string",
        format: "",
        description: IMAGES,
        priority: 1,
    },
];

/// Columns of `horizontalpodautoscalers` (`AddHandlers`).
pub const HPA_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Reference",
        type_: "string",
        format: "",
        description: HPA_SCALE_TARGET,
        priority: 0,
    },
    Column {
        name: "Targets",
        type_: "string",
        format: "",
        description: HPA_METRICS,
        priority: 0,
    },
    Column {
        name: "MinPods",
        type_: "string",
        format: "",
        description: HPA_MIN,
        priority: 0,
    },
    Column {
        name: "MaxPods",
        type_: "string",
        format: "",
        description: HPA_MAX,
        priority: 0,
    },
    Column {
        name: "Replicas",
        type_: "string",
        format: "",
        description: HPA_CURRENT,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
];

/// Columns of `cronjobs` (`AddHandlers`).
pub const CRON_JOB_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Schedule",
        type_: "string",
        format: "",
        description: CJ_SCHEDULE,
        priority: 0,
    },
    Column {
        name: "Timezone",
        type_: "string",
        format: "",
        description: CJ_TIMEZONE,
        priority: 0,
    },
    Column {
        name: "Suspend",
        type_: "boolean",
        format: "",
        description: CJ_SUSPEND,
        priority: 0,
    },
    Column {
        name: "Active",
        type_: "integer",
        format: "",
        description: CJ_ACTIVE,
        priority: 0,
    },
    Column {
        name: "Last Schedule",
        type_: "string",
        format: "",
        description: CJ_LAST_SCHEDULE,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
    Column {
        name: "Containers",
        type_: "string",
        format: "",
        description: CONTAINERS,
        priority: 1,
    },
    Column {
        name: "Images",
        type_: "string",
        format: "",
        description: IMAGES,
        priority: 1,
    },
    Column {
        name: "Selector",
        type_: "string",
        format: "",
        description: JOB_SELECTOR,
        priority: 1,
    },
];

/// Columns of `jobs` (`AddHandlers`).
pub const JOB_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Status",
        type_: "string",
        format: "",
        description: JOB_STATUS,
        priority: 0,
    },
    Column {
        name: "Completions",
        type_: "string",
        format: "",
        description: JOB_SUCCEEDED,
        priority: 0,
    },
    Column {
        name: "Duration",
        type_: "string",
        format: "",
        description: JOB_DURATION,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
    Column {
        name: "Containers",
        type_: "string",
        format: "",
        description: CONTAINERS,
        priority: 1,
    },
    Column {
        name: "Images",
        type_: "string",
        format: "",
        description: IMAGES,
        priority: 1,
    },
    Column {
        name: "Selector",
        type_: "string",
        format: "",
        description: JOB_SELECTOR,
        priority: 1,
    },
];

/// Columns of `leases` (`AddHandlers`).
pub const LEASE_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Holder",
        type_: "string",
        format: "",
        description: LEASE_HOLDER,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
];

/// Columns of `endpointslices` (`AddHandlers`).
pub const ENDPOINT_SLICE_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "AddressType",
        type_: "string",
        format: "",
        description: EPS_ADDRESS_TYPE,
        priority: 0,
    },
    Column {
        name: "Ports",
        type_: "string",
        format: "",
        description: EPS_PORTS,
        priority: 0,
    },
    Column {
        name: "Endpoints",
        type_: "string",
        format: "",
        description: EPS_ENDPOINTS,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
];

/// Columns of `ingressclasses` (`AddHandlers`).
pub const INGRESS_CLASS_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Controller",
        type_: "string",
        format: "",
        description: IC_CONTROLLER,
        priority: 0,
    },
    Column {
        name: "Parameters",
        type_: "string",
        format: "",
        description: IC_PARAMETERS,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
];

/// Columns of `ingresses` (`AddHandlers`).
pub const INGRESS_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Class",
        type_: "string",
        format: "",
        description: ING_CLASS,
        priority: 0,
    },
    Column {
        name: "Hosts",
        type_: "string",
        format: "",
        description: ING_HOSTS,
        priority: 0,
    },
    Column {
        name: "Address",
        type_: "string",
        format: "",
        description: ING_ADDRESS,
        priority: 0,
    },
    Column {
        name: "Ports",
        type_: "string",
        format: "",
        description: ING_PORTS,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
];

/// Columns of `networkpolicies` (`AddHandlers`).
pub const NETWORK_POLICY_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Pod-Selector",
        type_: "string",
        format: "",
        description: NP_POD_SELECTOR,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
];

/// Columns of `runtimeclasses` (`AddHandlers`).
pub const RUNTIME_CLASS_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Handler",
        type_: "string",
        format: "",
        description: EMPTY,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
];

/// Columns of `poddisruptionbudgets` (`AddHandlers`).
pub const PDB_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Min Available",
        type_: "string",
        format: "",
        description: PDB_MIN,
        priority: 0,
    },
    Column {
        name: "Max Unavailable",
        type_: "string",
        format: "",
        description: PDB_MAX,
        priority: 0,
    },
    Column {
        name: "Allowed Disruptions",
        type_: "integer",
        format: "",
        description: PDB_ALLOWED,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
];

/// Columns of `clusterrolebindings` (`AddHandlers`).
pub const CLUSTER_ROLE_BINDING_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Role",
        type_: "string",
        format: "",
        description: CRB_ROLE_REF,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
    Column {
        name: "Users",
        type_: "string",
        format: "",
        description: CRB_USERS,
        priority: 1,
    },
    Column {
        name: "Groups",
        type_: "string",
        format: "",
        description: CRB_GROUPS,
        priority: 1,
    },
    Column {
        name: "ServiceAccounts",
        type_: "string",
        format: "",
        description: CRB_SAS,
        priority: 1,
    },
];

/// Columns of `rolebindings` (`AddHandlers`).
pub const ROLE_BINDING_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Role",
        type_: "string",
        format: "",
        description: RB_ROLE_REF,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
    Column {
        name: "Users",
        type_: "string",
        format: "",
        description: RB_USERS,
        priority: 1,
    },
    Column {
        name: "Groups",
        type_: "string",
        format: "",
        description: RB_GROUPS,
        priority: 1,
    },
    Column {
        name: "ServiceAccounts",
        type_: "string",
        format: "",
        description: RB_SAS,
        priority: 1,
    },
];

/// Columns of `priorityclasses` (`AddHandlers`).
pub const PRIORITY_CLASS_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Value",
        type_: "integer",
        format: "",
        description: PC_VALUE,
        priority: 0,
    },
    Column {
        name: "Global-Default",
        type_: "boolean",
        format: "",
        description: PC_GLOBAL_DEFAULT,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
    Column {
        name: "PreemptionPolicy",
        type_: "string",
        format: "",
        description: PC_PREEMPTION,
        priority: 0,
    },
];

/// Columns of `csinodes` (`AddHandlers`).
pub const CSI_NODE_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Drivers",
        type_: "integer",
        format: "",
        description: CSINODE_DRIVERS,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
];

/// Columns of `storageclasses` (`AddHandlers`).
pub const STORAGE_CLASS_COLUMNS: &[Column] = &[
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: META_NAME,
        priority: 0,
    },
    Column {
        name: "Provisioner",
        type_: "string",
        format: "",
        description: SC_PROVISIONER,
        priority: 0,
    },
    Column {
        name: "ReclaimPolicy",
        type_: "string",
        format: "",
        description: SC_RECLAIM,
        priority: 0,
    },
    Column {
        name: "VolumeBindingMode",
        type_: "string",
        format: "",
        description: SC_BINDING_MODE,
        priority: 0,
    },
    Column {
        name: "AllowVolumeExpansion",
        type_: "string",
        format: "",
        description: SC_EXPANSION,
        priority: 0,
    },
    Column {
        name: "Age",
        type_: "string",
        format: "",
        description: META_CREATION_TIMESTAMP,
        priority: 0,
    },
];

/// Every built-in resource served with a printer, sorted by (group, resource).
/// Resources not listed here (e.g. roles, clusterroles, limitranges, customresourcedefinitions)
/// use the default convertor (`staging/src/k8s.io/apiserver/pkg/registry/rest/table.go`).
pub const PRINTERS: &[Printer] = &[
    Printer {
        group: "",
        resource: "componentstatuses",
        columns: COMPONENT_STATUS_COLUMNS,
        kind: PrintKind::ComponentStatus,
    },
    Printer {
        group: "",
        resource: "configmaps",
        columns: CONFIG_MAP_COLUMNS,
        kind: PrintKind::ConfigMap,
    },
    Printer {
        group: "",
        resource: "endpoints",
        columns: ENDPOINTS_COLUMNS,
        kind: PrintKind::Endpoints,
    },
    Printer {
        group: "",
        resource: "events",
        columns: EVENT_COLUMNS,
        kind: PrintKind::Event,
    },
    Printer {
        group: "",
        resource: "namespaces",
        columns: NAMESPACE_COLUMNS,
        kind: PrintKind::Namespace,
    },
    Printer {
        group: "",
        resource: "nodes",
        columns: NODE_COLUMNS,
        kind: PrintKind::Node,
    },
    Printer {
        group: "",
        resource: "persistentvolumeclaims",
        columns: PVC_COLUMNS,
        kind: PrintKind::PersistentVolumeClaim,
    },
    Printer {
        group: "",
        resource: "persistentvolumes",
        columns: PV_COLUMNS,
        kind: PrintKind::PersistentVolume,
    },
    Printer {
        group: "",
        resource: "pods",
        columns: POD_COLUMNS,
        kind: PrintKind::Pod,
    },
    Printer {
        group: "",
        resource: "podtemplates",
        columns: POD_TEMPLATE_COLUMNS,
        kind: PrintKind::PodTemplate,
    },
    Printer {
        group: "",
        resource: "replicationcontrollers",
        columns: RC_COLUMNS,
        kind: PrintKind::ReplicationController,
    },
    Printer {
        group: "",
        resource: "resourcequotas",
        columns: RESOURCE_QUOTA_COLUMNS,
        kind: PrintKind::ResourceQuota,
    },
    Printer {
        group: "",
        resource: "secrets",
        columns: SECRET_COLUMNS,
        kind: PrintKind::Secret,
    },
    Printer {
        group: "",
        resource: "serviceaccounts",
        columns: SERVICE_ACCOUNT_COLUMNS,
        kind: PrintKind::ServiceAccount,
    },
    Printer {
        group: "",
        resource: "services",
        columns: SERVICE_COLUMNS,
        kind: PrintKind::Service,
    },
    Printer {
        group: "admissionregistration.k8s.io",
        resource: "mutatingwebhookconfigurations",
        columns: MUTATING_WEBHOOK_COLUMNS,
        kind: PrintKind::WebhookConfiguration,
    },
    Printer {
        group: "admissionregistration.k8s.io",
        resource: "validatingwebhookconfigurations",
        columns: VALIDATING_WEBHOOK_COLUMNS,
        kind: PrintKind::WebhookConfiguration,
    },
    Printer {
        group: "apps",
        resource: "daemonsets",
        columns: DAEMON_SET_COLUMNS,
        kind: PrintKind::DaemonSet,
    },
    Printer {
        group: "apps",
        resource: "deployments",
        columns: DEPLOYMENT_COLUMNS,
        kind: PrintKind::Deployment,
    },
    Printer {
        group: "apps",
        resource: "replicasets",
        columns: REPLICA_SET_COLUMNS,
        kind: PrintKind::ReplicaSet,
    },
    Printer {
        group: "apps",
        resource: "statefulsets",
        columns: STATEFUL_SET_COLUMNS,
        kind: PrintKind::StatefulSet,
    },
    Printer {
        group: "autoscaling",
        resource: "horizontalpodautoscalers",
        columns: HPA_COLUMNS,
        kind: PrintKind::HorizontalPodAutoscaler,
    },
    Printer {
        group: "batch",
        resource: "cronjobs",
        columns: CRON_JOB_COLUMNS,
        kind: PrintKind::CronJob,
    },
    Printer {
        group: "batch",
        resource: "jobs",
        columns: JOB_COLUMNS,
        kind: PrintKind::Job,
    },
    Printer {
        group: "coordination.k8s.io",
        resource: "leases",
        columns: LEASE_COLUMNS,
        kind: PrintKind::Lease,
    },
    Printer {
        group: "discovery.k8s.io",
        resource: "endpointslices",
        columns: ENDPOINT_SLICE_COLUMNS,
        kind: PrintKind::EndpointSlice,
    },
    Printer {
        group: "events.k8s.io",
        resource: "events",
        columns: EVENT_COLUMNS,
        kind: PrintKind::Event,
    },
    Printer {
        group: "networking.k8s.io",
        resource: "ingressclasses",
        columns: INGRESS_CLASS_COLUMNS,
        kind: PrintKind::IngressClass,
    },
    Printer {
        group: "networking.k8s.io",
        resource: "ingresses",
        columns: INGRESS_COLUMNS,
        kind: PrintKind::Ingress,
    },
    Printer {
        group: "networking.k8s.io",
        resource: "networkpolicies",
        columns: NETWORK_POLICY_COLUMNS,
        kind: PrintKind::NetworkPolicy,
    },
    Printer {
        group: "node.k8s.io",
        resource: "runtimeclasses",
        columns: RUNTIME_CLASS_COLUMNS,
        kind: PrintKind::RuntimeClass,
    },
    Printer {
        group: "policy",
        resource: "poddisruptionbudgets",
        columns: PDB_COLUMNS,
        kind: PrintKind::PodDisruptionBudget,
    },
    Printer {
        group: "rbac.authorization.k8s.io",
        resource: "clusterrolebindings",
        columns: CLUSTER_ROLE_BINDING_COLUMNS,
        kind: PrintKind::RoleBinding,
    },
    Printer {
        group: "rbac.authorization.k8s.io",
        resource: "rolebindings",
        columns: ROLE_BINDING_COLUMNS,
        kind: PrintKind::RoleBinding,
    },
    Printer {
        group: "scheduling.k8s.io",
        resource: "priorityclasses",
        columns: PRIORITY_CLASS_COLUMNS,
        kind: PrintKind::PriorityClass,
    },
    Printer {
        group: "storage.k8s.io",
        resource: "csinodes",
        columns: CSI_NODE_COLUMNS,
        kind: PrintKind::CsiNode,
    },
    Printer {
        group: "storage.k8s.io",
        resource: "storageclasses",
        columns: STORAGE_CLASS_COLUMNS,
        kind: PrintKind::StorageClass,
    },
];

/// The printer for (group, resource), by binary search over [`PRINTERS`].
pub fn lookup(group: &str, resource: &str) -> Option<&'static Printer> {
    PRINTERS
        .binary_search_by(|p| (p.group, p.resource).cmp(&(group, resource)))
        .ok()
        .map(|i| &PRINTERS[i])
}
