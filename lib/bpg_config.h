/* bpg_config: the gateway's INI configuration, loaded once, validated, then immutable. */
#ifndef BPG_CONFIG_H
#define BPG_CONFIG_H

#include <stddef.h>
#include "bpg_buf.h"
#include "bpg_dispatch.h"
#include "bpg_err.h"
#include "bpg_sparkconf.h"

#define BPG_CLUSTER_ID_MAX   20   /* id + '-' + 32 hex + '-' + suffix must fit in 63 */
#define BPG_CONFIG_MAX_FILE  (1u << 20)
#define BPG_CONFIG_MAX_CLUSTERS 256

struct bpg_strlist {
	char **v;
	size_t n;
};

enum bpg_scheduler {
	BPG_SCHED_NONE = 0,
	BPG_SCHED_YUNIKORN,
};

struct bpg_gateway_conf {
	char *base_path;             /* "/apiv2": starts with '/', no trailing '/' */
	struct bpg_strlist allowed_origins; /* other sites' origins whose requests are trusted */
	char *default_queue;
	long long workers;
	long long connect_timeout_ms;   /* every outbound connect */
	long long upstream_timeout_ms;  /* every outbound call in total */
	char *spark_conf_defaults_file; /* NULL if not set */
	char *spark_conf_fixed_file;
	char *log_level;
	struct bpg_strlist mask_patterns;   /* Spark conf keys holding one of these are secret */
	long long status_max_age_ms;        /* a stored status younger than this is served as is */
	long long log_stream_max_ms;        /* longest /log answer that is not followed */
	long long idempotency_ttl_s;        /* an Idempotency-Key is remembered this long */
	long long log_follow_max_ms;        /* longest followed /log (nginx's read timeout above) */
	char *metrics_file;                 /* shared by the workers for /metrics; NULL: off */
	struct bpg_sparkconf spark_conf_defaults;
	struct bpg_sparkconf spark_conf_fixed;
};

struct bpg_database_conf {
	char *host;
	long long port;
	char *socket;               /* NULL: TCP to host:port */
	char *name;
	char *user;
	char *password;             /* NULL if not given inline */
	char *password_file;        /* read at connect time, so rotation works */
	long long connect_timeout_s;
	long long read_timeout_s;
	long long write_timeout_s;
};

struct bpg_s3_conf {
	char *endpoint;             /* NULL: AWS for region */
	char *region;
	char *bucket;
	char *folder;
	char *log_bucket;
	char *log_prefix;
	int path_style;
	char *access_key_id;
	char *secret_access_key_file;
	char *ca_file;
	long long connect_timeout_ms;
	long long timeout_ms;           /* each S3 request (one part, one GET) */
	char *session_token_file;       /* temporary credentials: re-read like the secret */
	char *credentials_file;         /* AWS shared credentials file, used when no key is set */
	char *credentials_profile;      /* its section, "default" */
	long long max_upload_mb;        /* POST /s3: larger bodies get 413 */
	long long part_size_mb;         /* multipart above this, in parts of this size */
	long long upload_concurrency;   /* parts of one upload in flight at once */
	char *upload_spool_dir;         /* where uploads spool; NULL: $TMPDIR, else /var/tmp */
	int archive_executor_logs;      /* the monitor archives executors' logs too */
	/* slow uploads must not hold the pool (nginx enforces the first three) */
	long long max_concurrent_uploads;   /* uploads at once per gateway instance (< workers) */
	long long max_uploads_per_user;     /* of those, one user's (as nginx verified) */
	long long upload_body_timeout_s;    /* longest silence while the body is read */
	long long min_upload_kib_per_s;     /* slower on average after upload_grace_s: 408; 0 off */
	long long upload_grace_s;
};

/* [livy]: Apache Livy's batch API, mapped onto submissions. */
struct bpg_livy_conf {
	int enabled;
	char *prefix;              /* "/livy": where the API is served */
	int csrf;                  /* POST and DELETE need X-Requested-By (Livy's CSRF protection) */
	long long log_lines;       /* the driver log's last lines that /log pages through */
	char *spark_version;       /* the sparkVersion of a batch (Livy requests have none) */
};

struct bpg_auth_conf {
	struct bpg_strlist allowed_users;   /* "*" allows everyone */
	struct bpg_strlist blocked_users;
	struct bpg_strlist admin_users;
	int trust_user_header;              /* a trusted proxy sets User-Account */
	struct bpg_strlist trusted_proxies; /* CIDRs whose User-Account is believed */
	struct bpg_strlist proxy_users;     /* may submit for another user (?dagUser=) */
	int open_read;                      /* everyone may read every submission (Java's way) */
	char *queue_token_secrets_file;     /* HS256 secrets for secure queues, one per line */
	struct bpg_strlist queue_token_issuers;
};

/* Per verified user, one token bucket per route class; rate 0 turns a class's limit off. */
struct bpg_ratelimit_conf {
	char *file;                          /* shared by the workers; NULL: per worker */
	double rate[BPG_CLASS_COUNT];        /* tokens a second, by enum bpg_route_class */
	long long burst[BPG_CLASS_COUNT];    /* bucket size */
};

struct bpg_cluster {
	char *id;                   /* [a-z0-9]+, from the section name */
	long long weight;
	char *api_server;
	char *namespace;
	char *ca_file;
	char *token_file;
	struct bpg_strlist spark_versions;
	struct bpg_strlist queues;
	char *service_account;
	long long ttl_seconds;      /* -1: not set */
	enum bpg_scheduler batch_scheduler;
	char *spark_ui_url;
	char *spark_history_url;    /* "https://history.example/history/{appId}", or NULL */
	char *spark_conf_file;
	struct bpg_sparkconf spark_conf;
	/*
	 * Optional JSON file of defaults for the spec: {"volumes":[...], "driver":{"env":[...],
	 * "volumeMounts":[...]}, "executor":{...}, "sparkUIOptions":{...}}; NULL if not set.
	 * Owned (cJSON tree) and released with the config.
	 */
	char *spec_defaults_file;
	struct cJSON *spec_defaults;
	long long connect_timeout_ms;
	long long timeout_ms;
};

struct bpg_queue {
	char *name;
	struct bpg_strlist users;
	int secure;
	long long max_running_millis;
	long long max_executor_instances;
	long long min_cores, max_cores;
	long long min_memory_mb, max_memory_mb;
	char *driver_node_label_key;
	struct bpg_strlist driver_node_label_values;
	char *executor_node_label_key;
	struct bpg_strlist executor_node_label_values;
	struct bpg_strlist executor_spot_node_label_values;
	double driver_cpu_buffer_ratio, executor_cpu_buffer_ratio;
	double driver_mem_buffer_ratio, executor_mem_buffer_ratio;
	struct bpg_strlist allowed_zones;
	int allow_privileged, allow_host_path, allow_custom_image, allow_service_account;
	int allow_cluster_id;       /* users of this queue may pin clusterId (admins always may) */
	int allow_k8s_spark_conf;   /* users may set the Spark properties no field says (bpg_guard) */
};

/*
 * [upload.NAME]: a folder (under [s3] folder) where more users than its owner may upload:
 * the users named, and the users listed in the named queues' users. Who may write where:
 * bpg_upauth.h.
 */
struct bpg_upload_grant {
	char *name;
	char *folder;                 /* checked as an upload folder: no trailing '/' */
	struct bpg_strlist users;     /* exact user names */
	struct bpg_strlist queues;    /* [queue.X] sections: their users lists */
};

struct bpg_image {
	char *name;
	char *image;
	char *spark_version;
	struct bpg_strlist types;
};

struct bpg_config {
	char *path;
	struct bpg_gateway_conf gateway;
	struct bpg_database_conf database;
	struct bpg_s3_conf s3;
	struct bpg_auth_conf auth;
	struct bpg_livy_conf livy;
	struct bpg_ratelimit_conf ratelimit;
	struct bpg_cluster *clusters;
	size_t n_clusters;
	struct bpg_queue *queues;
	size_t n_queues;
	struct bpg_image *images;
	size_t n_images;
	struct bpg_upload_grant *grants;
	size_t n_grants;
};

/*
 * Loads and validates the INI file at path and the Spark conf files it names (relative
 * paths are taken from the INI's folder). On failure returns BPG_ECONFIG and appends one
 * line per problem to errors, each naming the file, the section and the key.
 * Release the result with bpg_config_free().
 */
enum bpg_err bpg_config_load(const char *path, struct bpg_config **out, struct bpg_buf *errors);

#define BPG_CONFIG_DEFAULT_PATH "/etc/bpg/bpg.ini"

/*
 * The one rule every binary uses to find its INI file: flag (--config FILE), else positional
 * (a FILE the command takes as an argument), else $BPG_CONFIG when set and not empty, else
 * BPG_CONFIG_DEFAULT_PATH. NULL or "" arguments are skipped. Never NULL.
 */
const char *bpg_config_path(const char *flag, const char *positional);

/* Frees everything; NULL is a no-op. Inline secrets are wiped. */
void bpg_config_free(struct bpg_config *cfg);

/* Writes the effective configuration as "section.key=value" lines, secrets masked. */
enum bpg_err bpg_config_dump(const struct bpg_config *cfg, struct bpg_buf *out);

/*
 * *match_out = 1 when addr (IPv4 or IPv6 text, as nginx's REMOTE_ADDR) is inside cidr
 * ("10.0.0.0/8", "fd00::/8", or one address); 0 otherwise, also for a NULL or unparsable
 * addr. BPG_EINVAL when cidr is not an address with an optional /prefix.
 */
enum bpg_err bpg_config_cidr_match(const char *cidr, const char *addr, int *match_out);

/* Lookups; NULL if absent. Queue names match case-insensitively. */
const struct bpg_cluster *bpg_config_cluster(const struct bpg_config *cfg, const char *id);
const struct bpg_queue *bpg_config_queue(const struct bpg_config *cfg, const char *name);

/* Returns 1 if list holds s exactly (case-sensitive). */
int bpg_strlist_has(const struct bpg_strlist *list, const char *s);

#endif
