// Generated from docs/openapi.yaml by console/scripts/api-types.mjs (npm run api-types).
// Do not edit: change the OpenAPI document and generate again.

export interface paths {
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness (the worker answers). No auth. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Alive. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @example ok */
                            status?: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness (PostgreSQL and Redis reachable). No auth. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Ready. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Readiness"];
                    };
                };
                /** @description Not ready; `error` names what is down. */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Readiness"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Prometheus metrics (text format 0.0.4).
         * @description No auth at this layer; nginx serves it to the internal networks only.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Metrics. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/plain": string;
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/status": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Worker pool status (php-fpm style). */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Pool and per-worker state. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["PoolStatus"];
                    };
                };
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                503: components["responses"]["Unavailable"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/logs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Ingest balancer access-log entries (asynchronous).
         * @description One JSON object, a JSON array of objects, or NDJSON (`Content-Type:
         *     application/x-ndjson`, one object per line). Every entry is validated
         *     first; then all of them are queued at once and 202 is returned. When the
         *     queue cannot take them all, the answer is 503 `queue_full` with
         *     `Retry-After` and none of them was accepted. Entries reach PostgreSQL
         *     exactly once. Comments are not JSON (400 `bad_json`). An entry whose
         *     `timestamp` falls before the oldest day the retention pass keeps
         *     (`log.retention_days` back from today, UTC) is 400 naming
         *     `[i].timestamp`: accepted always means kept for the retention period.
         *     Unknown fields go to `extra` with numbers exactly as sent (no rounding).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["LogEntry"] | components["schemas"]["LogEntry"][];
                    "application/x-ndjson": string;
                };
            };
            responses: {
                /** @description Queued. */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            accepted?: number;
                        };
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                413: components["responses"]["TooLarge"];
                415: components["responses"]["UnsupportedMedia"];
                503: components["responses"]["QueueFull"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/sync/snapshot": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Rebuild every Redis snapshot key from PostgreSQL and swap them in atomically. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Done. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ResyncReport"];
                    };
                };
                401: components["responses"]["Unauthorized"];
                503: components["responses"]["Unavailable"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/providers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List providers. */
        get: {
            parameters: {
                query?: {
                    /** @description Page size, 1..500 (400 otherwise). */
                    limit?: components["parameters"]["Limit"];
                    /** @description The previous page's `next_cursor`, as is (opaque). */
                    cursor?: components["parameters"]["Cursor"];
                    /** @description Provider group name (exact). */
                    group?: string;
                    type?: components["schemas"]["ProviderType"];
                    status?: components["schemas"]["ActiveDisabled"];
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description One page. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Page"] & {
                            items?: components["schemas"]["Provider"][];
                        };
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
            };
        };
        put?: never;
        /**
         * Create a provider.
         * @description The group is created on first use. `name` must be unique (409).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["ProviderInput"] & unknown;
                };
            };
            responses: {
                /** @description Created (`Location` names it). */
                201: {
                    headers: {
                        Location?: string;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Provider"];
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                409: components["responses"]["Conflict"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/providers/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A positive integer id. Anything else (non-numeric, negative, beyond 64 bits) is 404. */
                id: components["parameters"]["Id"];
            };
            cookie?: never;
        };
        /** One provider. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description A positive integer id. Anything else (non-numeric, negative, beyond 64 bits) is 404. */
                    id: components["parameters"]["Id"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The provider. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Provider"];
                    };
                };
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                404: components["responses"]["NotFound"];
            };
        };
        /**
         * Partially update a provider.
         * @description Absent fields keep their value. `api_key` is write-only: sending back the
         *     masked form a GET returned keeps the stored key.
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description A positive integer id. Anything else (non-numeric, negative, beyond 64 bits) is 404. */
                    id: components["parameters"]["Id"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["ProviderInput"];
                };
            };
            responses: {
                /** @description The updated provider. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Provider"];
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                404: components["responses"]["NotFound"];
                409: components["responses"]["Conflict"];
            };
        };
        post?: never;
        /** Delete a provider. */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description A positive integer id. Anything else (non-numeric, negative, beyond 64 bits) is 404. */
                    id: components["parameters"]["Id"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted. */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                404: components["responses"]["NotFound"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/models": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List models. */
        get: {
            parameters: {
                query?: {
                    /** @description Page size, 1..500 (400 otherwise). */
                    limit?: components["parameters"]["Limit"];
                    /** @description The previous page's `next_cursor`, as is (opaque). */
                    cursor?: components["parameters"]["Cursor"];
                    /** @description Only models of this namespace. */
                    namespace?: string;
                    kind?: components["schemas"]["ModelKind"];
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description One page. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Page"] & {
                            items?: components["schemas"]["Model"][];
                        };
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
            };
        };
        put?: never;
        /** Create a model. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["ModelInput"] & unknown;
                };
            };
            responses: {
                /** @description Created. */
                201: {
                    headers: {
                        Location?: string;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Model"];
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                409: components["responses"]["Conflict"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/models/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The model's `namespace.public_model`, URL-encoded. */
                name: string;
            };
            cookie?: never;
        };
        /** One model. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The model's `namespace.public_model`, URL-encoded. */
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The model. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Model"];
                    };
                };
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                404: components["responses"]["NotFound"];
            };
        };
        /** Partially update a model (a `name` in the body renames it). */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The model's `namespace.public_model`, URL-encoded. */
                    name: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["ModelInput"];
                };
            };
            responses: {
                /** @description The updated model. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Model"];
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                404: components["responses"]["NotFound"];
                409: components["responses"]["Conflict"];
            };
        };
        post?: never;
        /** Delete a model. */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The model's `namespace.public_model`, URL-encoded. */
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted. */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                404: components["responses"]["NotFound"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/bindings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List bindings. */
        get: {
            parameters: {
                query?: {
                    /** @description Page size, 1..500 (400 otherwise). */
                    limit?: components["parameters"]["Limit"];
                    /** @description The previous page's `next_cursor`, as is (opaque). */
                    cursor?: components["parameters"]["Cursor"];
                    namespace?: string;
                    public_model?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description One page. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Page"] & {
                            items?: components["schemas"]["Binding"][];
                        };
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
            };
        };
        put?: never;
        /**
         * Create a binding.
         * @description (namespace, public_model, route_group) is unique (409).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["BindingInput"] & unknown;
                };
            };
            responses: {
                /** @description Created. */
                201: {
                    headers: {
                        Location?: string;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Binding"];
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                409: components["responses"]["Conflict"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/bindings/resolve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * What a binding would resolve to, without storing it.
         * @description Takes the body of POST /admin/bindings, validates it the same way (400 naming the field, e.g. a regex RE2 refuses), and resolves it against the providers as they are now. Nothing is written. For a console that shows an admin the upstreams while a selector is being edited.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["BindingInput"] & unknown;
                };
            };
            responses: {
                /** @description The resolution, and one warning per broken candidate (empty when none). */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            resolution: components["schemas"]["BindingResolution"];
                            warnings: string[];
                        };
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/bindings/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A positive integer id. Anything else (non-numeric, negative, beyond 64 bits) is 404. */
                id: components["parameters"]["Id"];
            };
            cookie?: never;
        };
        /** One binding. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description A positive integer id. Anything else (non-numeric, negative, beyond 64 bits) is 404. */
                    id: components["parameters"]["Id"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The binding. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Binding"];
                    };
                };
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                404: components["responses"]["NotFound"];
            };
        };
        /** Partially update a binding. */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description A positive integer id. Anything else (non-numeric, negative, beyond 64 bits) is 404. */
                    id: components["parameters"]["Id"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["BindingInput"];
                };
            };
            responses: {
                /** @description The updated binding. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Binding"];
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                404: components["responses"]["NotFound"];
                409: components["responses"]["Conflict"];
            };
        };
        post?: never;
        /** Delete a binding. */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description A positive integer id. Anything else (non-numeric, negative, beyond 64 bits) is 404. */
                    id: components["parameters"]["Id"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted. */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                404: components["responses"]["NotFound"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/features": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** All feature flags, as one map (not paginated). */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description flag -> value. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Features"];
                    };
                };
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
            };
        };
        /**
         * Merge flags into the stored ones.
         * @description Each member sets a flag (string, boolean or number); a `null` member
         *     deletes that flag; flags not named are left alone. Objects and arrays are
         *     400 naming the flag. Flag names are 1-128 characters of `A-Z a-z 0-9 _ - . :`.
         *     At most 1000 flags per request. The answer is the full map after the merge.
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    /**
                     * @example {
                     *       "dp_state_store_backend": "redis",
                     *       "dp_claude_cross_upstream": true,
                     *       "old_flag": null
                     *     }
                     */
                    "application/json": {
                        [key: string]: (string | null) | boolean | number;
                    };
                };
            };
            responses: {
                /** @description Every flag after the merge. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Features"];
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The audit trail, newest first. */
        get: {
            parameters: {
                query?: {
                    /** @description Page size, 1..500 (400 otherwise). */
                    limit?: components["parameters"]["Limit"];
                    /** @description The previous page's `next_cursor`, as is (opaque). */
                    cursor?: components["parameters"]["Cursor"];
                    /** @description provider, model, binding, feature, master, key or import */
                    resource?: string;
                    actor?: string;
                    resource_id?: string;
                    /** @description RFC 3339; rows at or after this time. */
                    since?: string;
                    /** @description RFC 3339; rows strictly before this time. */
                    until?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description One page. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Page"] & {
                            items?: components["schemas"]["AuditEntry"][];
                        };
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/masters": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List masters. */
        get: {
            parameters: {
                query?: {
                    /** @description Page size, 1..500 (400 otherwise). */
                    limit?: components["parameters"]["Limit"];
                    /** @description The previous page's `next_cursor`, as is (opaque). */
                    cursor?: components["parameters"]["Cursor"];
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description One page. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Page"] & {
                            items?: components["schemas"]["Master"][];
                        };
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
            };
        };
        put?: never;
        /** Create a master; its key is returned once. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["MasterInput"] & unknown;
                };
            };
            responses: {
                /** @description Created. `master_key` is shown only here (`Cache-Control: no-store`). */
                201: {
                    headers: {
                        Location?: string;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Master"] & {
                            /** @example ezm_3Jd8... */
                            master_key?: string;
                        };
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                409: components["responses"]["Conflict"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/masters/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A positive integer id. Anything else (non-numeric, negative, beyond 64 bits) is 404. */
                id: components["parameters"]["Id"];
            };
            cookie?: never;
        };
        /** One master. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description A positive integer id. Anything else (non-numeric, negative, beyond 64 bits) is 404. */
                    id: components["parameters"]["Id"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The master. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Master"];
                    };
                };
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                404: components["responses"]["NotFound"];
            };
        };
        /**
         * Partially update a master.
         * @description Suspending/reactivating or changing the namespace set bumps `epoch`.
         *     Dropping a namespace still used by one of its keys is 409.
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description A positive integer id. Anything else (non-numeric, negative, beyond 64 bits) is 404. */
                    id: components["parameters"]["Id"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["MasterInput"];
                };
            };
            responses: {
                /** @description The updated master. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Master"];
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                404: components["responses"]["NotFound"];
                409: components["responses"]["Conflict"];
            };
        };
        post?: never;
        /** Delete a master and all its keys. */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description A positive integer id. Anything else (non-numeric, negative, beyond 64 bits) is 404. */
                    id: components["parameters"]["Id"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted. */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                404: components["responses"]["NotFound"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/masters/{id}/rotate": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A positive integer id. Anything else (non-numeric, negative, beyond 64 bits) is 404. */
                id: components["parameters"]["Id"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Replace a master's own key; the old one stops working at once.
         * @description For a leaked master key. The new `master_key` is in this answer only
         *     (`Cache-Control: no-store`); the old key is refused (401) from the moment
         *     the rotation commits. The master's child keys are untouched. Audited as
         *     `rotate` and pushed to Redis.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description A positive integer id. Anything else (non-numeric, negative, beyond 64 bits) is 404. */
                    id: components["parameters"]["Id"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The master with its new plaintext `master_key` (shown only here). */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Master"] & {
                            /** @example ezm_3Jd8... */
                            master_key?: string;
                        };
                    };
                };
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                404: components["responses"]["NotFound"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/masters/{id}/keys": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A positive integer id. Anything else (non-numeric, negative, beyond 64 bits) is 404. */
                id: components["parameters"]["Id"];
            };
            cookie?: never;
        };
        /** The keys of one master. */
        get: {
            parameters: {
                query?: {
                    /** @description Page size, 1..500 (400 otherwise). */
                    limit?: components["parameters"]["Limit"];
                    /** @description The previous page's `next_cursor`, as is (opaque). */
                    cursor?: components["parameters"]["Cursor"];
                    status?: components["schemas"]["ActiveDisabled"];
                };
                header?: never;
                path: {
                    /** @description A positive integer id. Anything else (non-numeric, negative, beyond 64 bits) is 404. */
                    id: components["parameters"]["Id"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description One page. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Page"] & {
                            items?: components["schemas"]["Key"][];
                        };
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                404: components["responses"]["NotFound"];
            };
        };
        put?: never;
        /**
         * Issue a child key on the master's behalf (`issued_by = admin`).
         * @description Counts against the master's `max_child_keys` (409 when reached).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description A positive integer id. Anything else (non-numeric, negative, beyond 64 bits) is 404. */
                    id: components["parameters"]["Id"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["KeyInput"];
                };
            };
            responses: {
                /** @description Created; the plaintext `key` is shown only here. */
                201: {
                    headers: {
                        Location?: string;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["KeyWithSecret"];
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                404: components["responses"]["NotFound"];
                409: components["responses"]["Conflict"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List keys. */
        get: {
            parameters: {
                query?: {
                    /** @description Page size, 1..500 (400 otherwise). */
                    limit?: components["parameters"]["Limit"];
                    /** @description The previous page's `next_cursor`, as is (opaque). */
                    cursor?: components["parameters"]["Cursor"];
                    master_id?: number;
                    status?: components["schemas"]["ActiveDisabled"];
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description One page. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Page"] & {
                            items?: components["schemas"]["Key"][];
                        };
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
            };
        };
        put?: never;
        /** Issue a key for a master (`master_id` in the body; `issued_by = admin`). */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["KeyInput"] & {
                        master_id: number;
                    };
                };
            };
            responses: {
                /** @description Created; the plaintext `key` is shown only here. */
                201: {
                    headers: {
                        Location?: string;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["KeyWithSecret"];
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                409: components["responses"]["Conflict"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/keys/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A positive integer id. Anything else (non-numeric, negative, beyond 64 bits) is 404. */
                id: components["parameters"]["Id"];
            };
            cookie?: never;
        };
        /** One key (never its secret). */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description A positive integer id. Anything else (non-numeric, negative, beyond 64 bits) is 404. */
                    id: components["parameters"]["Id"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The key. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Key"];
                    };
                };
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                404: components["responses"]["NotFound"];
            };
        };
        /** Partially update a key. */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description A positive integer id. Anything else (non-numeric, negative, beyond 64 bits) is 404. */
                    id: components["parameters"]["Id"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["KeyInput"];
                };
            };
            responses: {
                /** @description The updated key. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Key"];
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                404: components["responses"]["NotFound"];
            };
        };
        post?: never;
        /** Delete a key. */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description A positive integer id. Anything else (non-numeric, negative, beyond 64 bits) is 404. */
                    id: components["parameters"]["Id"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted. */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                404: components["responses"]["NotFound"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/keys/{id}/rotate": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A positive integer id. Anything else (non-numeric, negative, beyond 64 bits) is 404. */
                id: components["parameters"]["Id"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Replace a key's secret; the old one stops working. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description A positive integer id. Anything else (non-numeric, negative, beyond 64 bits) is 404. */
                    id: components["parameters"]["Id"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The key with its new plaintext `key` (shown only here). */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["KeyWithSecret"];
                    };
                };
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                404: components["responses"]["NotFound"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/master/self": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The calling master. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The master. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Master"];
                    };
                };
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/master/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The calling master's keys. */
        get: {
            parameters: {
                query?: {
                    /** @description Page size, 1..500 (400 otherwise). */
                    limit?: components["parameters"]["Limit"];
                    /** @description The previous page's `next_cursor`, as is (opaque). */
                    cursor?: components["parameters"]["Cursor"];
                    status?: components["schemas"]["ActiveDisabled"];
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description One page. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Page"] & {
                            items?: components["schemas"]["Key"][];
                        };
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
            };
        };
        put?: never;
        /** Issue a child key (`issued_by = master`); the master must be active. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["KeyInput"];
                };
            };
            responses: {
                /** @description Created; the plaintext `key` is shown only here. */
                201: {
                    headers: {
                        Location?: string;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["KeyWithSecret"];
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                409: components["responses"]["Conflict"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/master/keys/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A positive integer id. Anything else (non-numeric, negative, beyond 64 bits) is 404. */
                id: components["parameters"]["Id"];
            };
            cookie?: never;
        };
        /** One of the calling master's keys (another master's key is 404). */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description A positive integer id. Anything else (non-numeric, negative, beyond 64 bits) is 404. */
                    id: components["parameters"]["Id"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The key. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Key"];
                    };
                };
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                404: components["responses"]["NotFound"];
            };
        };
        /**
         * Rename, disable/enable or re-limit one of the calling master's keys.
         * @description A partial update of `name`, `status`, `model_limits`, `model_limits_enabled`
         *     and `model_rate_limits` (another master's
         *     key is 404). `group`, `namespaces`, `scopes`, `allow_ips`, `expires_at` and
         *     `master_id` stay the admin's: sending one is 400 naming it. Read-only fields
         *     (`id`, `issued_by`, `key_prefix`, `created_at`, `updated_at`) are ignored. A
         *     PUT that changes nothing writes nothing. Audited as `master:<id>`, pushed.
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description A positive integer id. Anything else (non-numeric, negative, beyond 64 bits) is 404. */
                    id: components["parameters"]["Id"];
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["MasterKeyInput"];
                };
            };
            responses: {
                /** @description The updated key. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Key"];
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                404: components["responses"]["NotFound"];
            };
        };
        post?: never;
        /** Delete one of the calling master's keys. */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description A positive integer id. Anything else (non-numeric, negative, beyond 64 bits) is 404. */
                    id: components["parameters"]["Id"];
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted. */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                404: components["responses"]["NotFound"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/usage": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Usage statistics (requests, errors, tokens, cost, latency) per group.
         * @description Summed from the rollups the flusher keeps in the same transaction as the raw
         *     logs (so they never disagree with them; `ezapi-ctl usage rebuild` re-derives
         *     them). The window is widened to whole hours (the rollups' grain); the answer
         *     gives the window used. Whole days inside it are read from the daily rollup,
         *     the edges from the hourly one (per-master rollups when the query groups and
         *     filters by nothing but the master: group_by=master, day or hour without key_id,
         *     model or provider_id). With group_by=key every row carries its key's `quota`. `cost` is null when no request of the group was
         *     priced; costs of models in different currencies are summed as plain numbers.
         *     Latency percentiles are nearest-rank over a fixed histogram (bounds in ms: 5,
         *     10, 25, 50, 75, 100, 150, 200, 300, 400, 500, 750, 1000, 1500, 2000, 3000,
         *     4000, 5000, 7500, 10000, 15000, 20000, 30000, 60000, 120000): the answer is the
         *     upper bound of the bucket holding the percentile, or the largest latency seen
         *     when that is lower. Unknown parameters, a parameter given twice, or a window
         *     longer than `usage.max_window_days` (default 400) are 400 naming it.
         */
        get: {
            parameters: {
                query?: {
                    /** @description RFC 3339 or unix seconds; default `to` minus one day. Widened down to the hour. */
                    from?: components["parameters"]["UsageFrom"];
                    /** @description RFC 3339 or unix seconds (exclusive), 1970 .. 9999-12-31T23:59:59Z; default now. Usage widens it up to the hour, so there it is at most 9999-12-31T23:00:00Z (400 naming `to`). */
                    to?: components["parameters"]["UsageTo"];
                    group_by?: components["parameters"]["GroupBy"];
                    master_id?: number;
                    key_id?: number;
                    model?: string;
                    provider_id?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description One row per group (ascending), and the totals. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["UsageReport"];
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                503: components["responses"]["SearchUnavailable"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/usage/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The rows of /admin/usage as CSV or NDJSON, streamed.
         * @description Same parameters as `GET /admin/usage`, plus `format`. CSV has a header line
         *     (`group,<dimension>,requests,...`) and no totals; NDJSON has one row object per
         *     line. See `GET /admin/logs/export` for the row limit.
         */
        get: {
            parameters: {
                query?: {
                    /** @description RFC 3339 or unix seconds; default `to` minus one day. Widened down to the hour. */
                    from?: components["parameters"]["UsageFrom"];
                    /** @description RFC 3339 or unix seconds (exclusive), 1970 .. 9999-12-31T23:59:59Z; default now. Usage widens it up to the hour, so there it is at most 9999-12-31T23:00:00Z (400 naming `to`). */
                    to?: components["parameters"]["UsageTo"];
                    group_by?: components["parameters"]["GroupBy"];
                    master_id?: number;
                    key_id?: number;
                    model?: string;
                    provider_id?: number;
                    format?: components["parameters"]["ExportFormat"];
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The rows, streamed (chunked). */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/csv": string;
                        "application/x-ndjson": string;
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                503: components["responses"]["SearchUnavailable"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/master/usage": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The calling master's own usage.
         * @description `GET /admin/usage` limited to the calling master; `master_id` is not a
         *     parameter here (400). `group_by` defaults to `key`.
         */
        get: {
            parameters: {
                query?: {
                    /** @description RFC 3339 or unix seconds; default `to` minus one day. Widened down to the hour. */
                    from?: components["parameters"]["UsageFrom"];
                    /** @description RFC 3339 or unix seconds (exclusive), 1970 .. 9999-12-31T23:59:59Z; default now. Usage widens it up to the hour, so there it is at most 9999-12-31T23:00:00Z (400 naming `to`). */
                    to?: components["parameters"]["UsageTo"];
                    group_by?: components["parameters"]["GroupBy"];
                    key_id?: number;
                    model?: string;
                    provider_id?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The calling master's rows and totals. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["UsageReport"];
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                503: components["responses"]["SearchUnavailable"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/logs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Search the raw logs, newest first.
         * @description Keyset pagination on (ts, id), never OFFSET: pass `next_cursor` back as
         *     `cursor`. The window bounds the partition key, so only its day partitions are
         *     read; it is exact (not widened) and at most `usage.logs_max_window_days`
         *     (default 31) long. Unknown parameters are 400 naming them.
         */
        get: {
            parameters: {
                query?: {
                    /** @description RFC 3339 or unix seconds; default `to` minus one day. */
                    from?: components["parameters"]["LogsFrom"];
                    /** @description RFC 3339 or unix seconds (exclusive), 1970 .. 9999-12-31T23:59:59Z; default now. Usage widens it up to the hour, so there it is at most 9999-12-31T23:00:00Z (400 naming `to`). */
                    to?: components["parameters"]["UsageTo"];
                    master_id?: number;
                    key_id?: number;
                    model?: string;
                    provider_id?: number;
                    /** @description A status code (100..599) or a class (1xx..5xx). */
                    status?: components["parameters"]["LogStatus"];
                    request_id?: string;
                    error_type?: string;
                    /** @description Page size, 1..500 (400 otherwise). */
                    limit?: components["parameters"]["Limit"];
                    /** @description Opaque: the previous page's next_cursor. */
                    cursor?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description One page. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Page"] & {
                            items?: components["schemas"]["StoredLog"][];
                        };
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                429: components["responses"]["TooManySearches"];
                503: components["responses"]["SearchUnavailable"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/logs/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The logs of a search as CSV or NDJSON, streamed.
         * @description Same filters as `GET /admin/logs` (no `limit`/`cursor`), plus `format`. Rows
         *     are written as they are fetched from a server-side cursor (the worker's memory
         *     stays constant; nginx sends the body chunked). At most
         *     `usage.export_max_rows` rows (default 1000000); when more match, or when the
         *     database fails after the first bytes were sent, or when the export would
         *     outlast the admin pool's request timeout (`workers.request_timeout_ms` less 2 s),
         *     the body ends with one error line instead of a trailer: NDJSON
         *     `{"code":"export_limit","error":"..."}` (codes `export_limit`, `export_timeout`,
         *     `unavailable`, `internal`), CSV `#error,<code>,<message>` (no data line starts
         *     with `#`). A body without such a line is complete. NDJSON lines hold the same
         *     values as `GET /admin/logs` items, keys in column order, `extra` as stored.
         */
        get: {
            parameters: {
                query?: {
                    /** @description RFC 3339 or unix seconds; default `to` minus one day. */
                    from?: components["parameters"]["LogsFrom"];
                    /** @description RFC 3339 or unix seconds (exclusive), 1970 .. 9999-12-31T23:59:59Z; default now. Usage widens it up to the hour, so there it is at most 9999-12-31T23:00:00Z (400 naming `to`). */
                    to?: components["parameters"]["UsageTo"];
                    master_id?: number;
                    key_id?: number;
                    model?: string;
                    provider_id?: number;
                    /** @description A status code (100..599) or a class (1xx..5xx). */
                    status?: components["parameters"]["LogStatus"];
                    request_id?: string;
                    error_type?: string;
                    format?: components["parameters"]["ExportFormat"];
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The rows, streamed (chunked). CSV columns are the StoredLog fields in order. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/csv": string;
                        "application/x-ndjson": string;
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                503: components["responses"]["SearchUnavailable"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/logs/{request_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One log by its request id.
         * @description Searched within the raw-log retention. When several entries share the id (a
         *     retried delivery), the newest answers and `entries` lists them all. (A request
         *     id of `export` is reached with `GET /admin/logs?request_id=export`.)
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    request_id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The log. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["StoredLog"] & {
                            entries?: components["schemas"]["StoredLog"][];
                        };
                    };
                };
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                404: components["responses"]["NotFound"];
                429: components["responses"]["TooManySearches"];
                503: components["responses"]["SearchUnavailable"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/master/logs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The calling master's own logs, newest first.
         * @description `GET /admin/logs` limited to the calling master (no `master_id` parameter).
         */
        get: {
            parameters: {
                query?: {
                    /** @description RFC 3339 or unix seconds; default `to` minus one day. */
                    from?: components["parameters"]["LogsFrom"];
                    /** @description RFC 3339 or unix seconds (exclusive), 1970 .. 9999-12-31T23:59:59Z; default now. Usage widens it up to the hour, so there it is at most 9999-12-31T23:00:00Z (400 naming `to`). */
                    to?: components["parameters"]["UsageTo"];
                    key_id?: number;
                    model?: string;
                    provider_id?: number;
                    /** @description A status code (100..599) or a class (1xx..5xx). */
                    status?: components["parameters"]["LogStatus"];
                    request_id?: string;
                    error_type?: string;
                    /** @description Page size, 1..500 (400 otherwise). */
                    limit?: components["parameters"]["Limit"];
                    cursor?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description One page. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Page"] & {
                            items?: components["schemas"]["StoredLog"][];
                        };
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                429: components["responses"]["TooManySearches"];
                503: components["responses"]["SearchUnavailable"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/import": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Import a New API exporter file (schema 1.x) into providers, masters, keys and bindings.
         * @description The body is the file written by `exporter export` (github.com/EZ-Api/exporter),
         *     as is. It is validated completely first: a missing required field or a wrong
         *     type is a 400 whose `field` is the JSON path of the first bad value
         *     (`data.keys[17].master_ref`), and the rules of the API writes apply to every
         *     record. Unknown fields are not errors; they are kept in the audit record.
         *     A real run is one PostgreSQL transaction (all or nothing), then one snapshot
         *     resync. Rows are matched with earlier imports by the source's ids (providers
         *     by `original_id` + `multi_key_index`, masters by `_source_user_id`, keys by
         *     `_original_id`): importing the same file again changes nothing; a newer
         *     export updates the rows whose exported values changed. Nothing is deleted.
         *     Keys keep their token: only sha256(`original_token`) and its first 8
         *     characters are stored, so the balancer accepts the same token. A key without
         *     plaintext is imported disabled (`status_reason` `no_plaintext`), `expired`
         *     and `exhausted` keys are imported disabled with that reason.
         *     The body is capped by `http.max_body_bytes` (413 above it); `ezapi-ctl import
         *     FILE` has no cap.
         */
        post: {
            parameters: {
                query?: {
                    /** @description Validate and report what would be created, updated or skipped; write nothing. */
                    dry_run?: boolean;
                    /**
                     * @description Rename provider types the control plane does not know, `FROM:TO` (e.g.
                     *     `custom:openai`); several pairs comma-separated or the parameter repeated.
                     *     Without a mapping, unknown types are a 400 listing all of them; two targets
                     *     for one type are a 400 too.
                     */
                    map_type?: string[];
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["NewApiExport"];
                };
            };
            responses: {
                /** @description Imported (or, with dry_run, the plan). */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ImportReport"];
                    };
                };
                400: components["responses"]["BadRequest"];
                401: components["responses"]["Unauthorized"];
                403: components["responses"]["Forbidden"];
                /** @description A name or token of the file already belongs to a row this source did not import; `field` is its path. */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                413: components["responses"]["TooLarge"];
                503: components["responses"]["Unavailable"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        Error: {
            /** @description Human-readable message. */
            error: string;
            /** @enum {string} */
            code: "bad_json" | "invalid_field" | "missing_field" | "bad_request" | "unauthorized" | "forbidden" | "not_found" | "method_not_allowed" | "conflict" | "payload_too_large" | "unsupported_media_type" | "queue_full" | "too_many_requests" | "overloaded" | "query_timeout" | "unavailable" | "internal";
            /** @description The offending field ("models[2]" for an array item). */
            field?: string;
        };
        Page: {
            items: unknown[];
            /** @description null on the last page. */
            next_cursor: string | null;
        };
        Readiness: {
            /** @enum {string} */
            status?: "ready" | "not_ready";
            checks?: {
                [key: string]: {
                    ok?: boolean;
                    error?: string;
                };
            };
            error?: string;
            code?: string;
        };
        /** @description php-fpm style pool status plus one entry per worker slot. */
        PoolStatus: {
            pool?: string;
            process_manager?: string;
            master_pid?: number;
            start_time?: number;
            start_since?: number;
            generation?: number;
            workers_configured?: number;
            max_requests?: number;
            request_timeout_ms?: number;
            accepted_total?: number;
            restarts_total?: number;
            workers_idle?: number;
            workers_busy?: number;
            workers?: {
                [key: string]: unknown;
            }[];
            served_by?: number;
            /** @description The shared-memory log queue and the flusher (the same figures as the ezapi_logq_* / ezapi_flusher_* metrics): capacity_entries, capacity_bytes, depth_entries, depth_bytes, lag_entries (queued but not yet durable in PostgreSQL), oldest_unlanded_age_ms (how long the oldest of those has waited, 0 when none), enqueued_total, refused_total, abandoned_total, and `flusher` {up, pid, heartbeat_age_ms (null before a flusher attached), db_connected, committed_seq, flushed_entries_total, batches_total, db_errors_total, last_flush_ms}. Absent when the worker has no queue attached. */
            log_queue?: {
                [key: string]: unknown;
            };
            /** @description What the balancer reads: redis_snapshot_present (meta:snapshot exists) and redis_version (the snapshot version in Redis, null when absent); `error` when Redis cannot be reached (the status itself still answers 200). */
            sync?: {
                redis_snapshot_present?: boolean;
                redis_version?: number | null;
                error?: string;
            };
            /** @description Per traffic class (admin, ingest): workers_configured, max_requests, request_timeout_ms, restarts_total, restarts, workers_starting/idle/busy/stopping. Each entry of `workers` names its `pool`; the top-level figures are totals. */
            pools?: {
                [key: string]: {
                    [key: string]: unknown;
                };
            };
        } & {
            [key: string]: unknown;
        };
        ResyncReport: {
            skipped?: boolean;
            version?: string;
            counts?: {
                [key: string]: number;
            };
            duration_ms?: number;
            /** @description Hashes Redis already held, compared field by field and patched in place, with the number of fields that differed; a hash missing here was rebuilt into a temporary key and swapped in. */
            patched?: {
                [key: string]: number;
            };
        };
        /** @description The exporter's intermediate JSON (internal/schema/intermediate.go of github.com/EZ-Api/exporter). */
        NewApiExport: {
            /** @example 1.0.0 */
            version: string;
            source: {
                /** @example newapi */
                type: string;
                version: string;
                /** Format: date-time */
                exported_at: string;
            };
            data: {
                providers?: Record<string, never>[];
                masters?: Record<string, never>[];
                keys?: Record<string, never>[];
                bindings?: Record<string, never>[];
            };
            warnings?: string[];
        };
        ImportCounts: {
            created?: number;
            updated?: number;
            skipped?: number;
        };
        ImportReport: {
            dry_run?: boolean;
            version?: string;
            source?: Record<string, never>;
            counts?: {
                providers?: components["schemas"]["ImportCounts"];
                masters?: components["schemas"]["ImportCounts"];
                keys?: components["schemas"]["ImportCounts"];
                bindings?: components["schemas"]["ImportCounts"];
            };
            /** @description The file's warnings (first 1000). */
            exporter_warnings?: string[];
            exporter_warning_count?: number;
            /** @description The import's own warnings (first 200). */
            warnings?: string[];
            warning_count?: number;
            unknown_field_count?: number;
            /** @description Real runs that created or updated something (absent when nothing changed: Redis is not rebuilt then). pushed false when Redis was down (the syncer resyncs when it answers). */
            snapshot?: {
                pushed?: boolean;
                version?: number;
                error?: string;
            };
            timings_ms?: {
                [key: string]: number;
            };
            /** @description Real runs only. The write stage per table, in milliseconds. */
            write_ms?: {
                [key: string]: number;
            };
        };
        /** @description Unknown fields are kept in the `extra` column (8 KiB at most). null means absent. */
        LogEntry: {
            request_id: string;
            /** @description RFC 3339 string or unix milliseconds; default the arrival time. */
            timestamp?: string | number;
            master_id?: number;
            key_id?: number;
            provider_id?: number;
            namespace?: string;
            model?: string;
            upstream_model?: string;
            provider_type?: string;
            route_group?: string;
            client_ip?: string;
            error_type?: string;
            status_code?: number;
            latency_ms?: number;
            ttft_ms?: number;
            prompt_tokens?: number;
            completion_tokens?: number;
            /** @description When absent, prompt_tokens + completion_tokens (either given; an absent one counts 0). */
            total_tokens?: number;
            /** @description In the model's currency; beyond a ceiling the request is 400 naming the entry and field. */
            cost?: number;
            stream?: boolean;
            /** @description Repaired to UTF-8 and cut to 4096 bytes. */
            error_message?: string;
            extra?: Record<string, never>;
        } & {
            [key: string]: unknown;
        };
        /** @enum {string} */
        ActiveDisabled: "active" | "disabled";
        /** @enum {string} */
        ProviderType: "openai" | "compatible" | "anthropic" | "claude" | "claude-code" | "codex" | "gemini-cli" | "antigravity" | "gemini" | "google" | "aistudio" | "vertex" | "vertex-express" | "custom";
        /** @description Read-only fields accepted and ignored: id, group_id, created_at, updated_at. */
        ProviderInput: {
            /** @description Unique; stored verbatim. */
            name?: string;
            /** @description Trimmed and lower-cased. */
            type?: components["schemas"]["ProviderType"];
            /**
             * @description "" or an absolute http(s) URL.
             * @default
             */
            base_url: string;
            /** @default  */
            api_key: string;
            /** @default  */
            google_project: string;
            /** @description Defaults to "global" for vertex and vertex-express. */
            google_location?: string;
            /**
             * @description Provider group name; created on first use.
             * @default default
             */
            group: string;
            /** @description Upstream model names (duplicates dropped). */
            models?: string[];
            /** @default 1 */
            weight: number;
            /** @default 0 */
            priority: number;
            /** @default active */
            status: components["schemas"]["ActiveDisabled"];
            /** @default true */
            auto_ban: boolean;
        };
        /** @description The field names of the balancer's provider snapshot, plus weight, priority and times. */
        Provider: {
            /** Format: int64 */
            id?: number;
            name?: string;
            type?: components["schemas"]["ProviderType"];
            base_url?: string;
            /** @description Masked ("sk-****7890"; "****" when short; "" when unset). */
            api_key?: string;
            google_project?: string;
            google_location?: string;
            /** Format: int64 */
            group_id?: number;
            group?: string;
            models?: string[];
            status?: components["schemas"]["ActiveDisabled"];
            auto_ban?: boolean;
            weight?: number;
            priority?: number;
            /** Format: date-time */
            created_at?: string;
            /** Format: date-time */
            updated_at?: string;
        };
        /** @enum {string} */
        ModelKind: "chat" | "embedding" | "rerank" | "other";
        /**
         * @description Read-only fields accepted and ignored: id, namespace, public_model, created_at, updated_at.
         *
         *     What reaches the balancer: the model snapshot in `meta:models` carries
         *     exactly the fields of the contract (tests/contracts/model_snapshot.json):
         *     name, kind, context_window, supports_vision, supports_functions,
         *     supports_tool_choice, supports_fim, max_output_tokens.
         *     What stays in PostgreSQL (stored, returned by this API, never pushed to
         *     Redis): cost_per_token and supports_stream.
         */
        ModelInput: {
            /**
             * @description "namespace.public_model": the namespace is everything before the first '.', at most 128 bytes; neither part blank; no '/' (the name is one path segment of /models/{name}). Unique.
             * @example default.gpt-4o
             */
            name?: string;
            /** @default chat */
            kind: components["schemas"]["ModelKind"];
            /** @default 0 */
            context_window: number;
            /**
             * @description PostgreSQL only (not in the model snapshot).
             * @default 0
             */
            cost_per_token: number;
            /** @default false */
            supports_vision: boolean;
            /** @default false */
            supports_functions: boolean;
            /** @default false */
            supports_tool_choice: boolean;
            /** @default false */
            supports_fim: boolean;
            /**
             * @description PostgreSQL only (not in the model snapshot).
             * @default true
             */
            supports_stream: boolean;
            /** @default 0 */
            max_output_tokens: number;
            input_price?: components["schemas"]["Price"];
            output_price?: components["schemas"]["Price"];
            cache_read_price?: components["schemas"]["Price"];
            /**
             * @description Three letters (ISO 4217), upper-cased.
             * @default USD
             */
            currency: string;
        };
        Model: {
            /** Format: int64 */
            id?: number;
            name?: string;
            namespace?: string;
            public_model?: string;
            kind?: components["schemas"]["ModelKind"];
            context_window?: number;
            cost_per_token?: number;
            supports_vision?: boolean;
            supports_functions?: boolean;
            supports_tool_choice?: boolean;
            supports_fim?: boolean;
            supports_stream?: boolean;
            max_output_tokens?: number;
            input_price?: number | null;
            output_price?: number | null;
            cache_read_price?: number | null;
            currency?: string;
            /** Format: date-time */
            created_at?: string;
            /** Format: date-time */
            updated_at?: string;
        };
        /** @description Read-only fields accepted and ignored: id, created_at, updated_at. */
        BindingInput: {
            /** @description No '.'. */
            namespace?: string;
            public_model?: string;
            /** @description Candidate provider group name. */
            route_group?: string;
            /**
             * @default exact
             * @enum {string}
             */
            selector_type: "exact" | "regex" | "normalize_exact";
            /**
             * @description Names the upstream model of each provider in the group, exactly as the balancer (Go) resolves it. Stored trimmed (Go's strings.TrimSpace: Unicode white space); empty means the public model. `exact` compares trimmed names; `normalize_exact` compares after trimming, Unicode simple lower-casing (Go's strings.ToLower) and keeping what follows the last '/'; `regex` is an RE2 pattern (Go's regexp syntax: no lookaround, no backreferences, no \Z or \C, repeat counts up to 1000, inline flags such as (?i) allowed), at most 512 bytes and not empty, matched like Go's regexp.MatchString, i.e. unanchored: write ^...$ to pin the whole name. A pattern RE2 refuses is a 400 naming selector_value and quoting RE2's message. A provider that matches several of its models breaks the candidate (`config_error`); a provider that matches none is skipped (it takes none of this binding's traffic, `no_match` in its resolution, no warning: a group mixing vendors is normal), and only when no provider matches is the candidate broken (`no_provider`). A broken candidate's write is still accepted, with `warnings` (see BindingResolution).
             * @default
             */
            selector_value: string;
            /** @default 1 */
            weight: number;
            /** @default active */
            status: components["schemas"]["ActiveDisabled"];
        };
        Binding: {
            /** Format: int64 */
            id?: number;
            namespace?: string;
            public_model?: string;
            route_group?: string;
            /** @enum {string} */
            selector_type?: "exact" | "regex" | "normalize_exact";
            selector_value?: string;
            weight?: number;
            status?: components["schemas"]["ActiveDisabled"];
            /** Format: date-time */
            created_at?: string;
            /** Format: date-time */
            updated_at?: string;
            resolution?: components["schemas"]["BindingResolution"];
            /** @description POST and PUT only, present when a candidate is broken: one sentence per broken candidate (route group missing or without active provider, no model matches, several models of one provider match). */
            warnings?: string[];
        };
        /** @description What the binding resolves to now, computed by the function that builds its config:bindings snapshot (so this is what Redis holds and what the balancer computes). A binding row is one candidate of its namespace.public_model. `ok` is false when any candidate has an error. */
        BindingResolution: {
            ok: boolean;
            candidates: {
                route_group: string;
                /**
                 * @description The code config:bindings carries: no_provider (no such route group, no active provider in it, or no model matches), config_error (several models of one provider match, or the selector cannot be evaluated). null when the candidate routes.
                 * @enum {string|null}
                 */
                error: "no_provider" | "config_error" | null;
                /** @description Every active provider of the route group, by id. */
                providers: {
                    /** Format: int64 */
                    provider_id: number;
                    provider_name: string;
                    /** @description The model config:bindings routes to at this provider (null when none). */
                    upstream: string | null;
                    /**
                     * @description no_match (none of its models matches) or ambiguous (several do).
                     * @enum {string|null}
                     */
                    error: "no_match" | "ambiguous" | null;
                }[];
            }[];
        };
        /**
         * @example {
         *       "dp_state_store_backend": "redis",
         *       "dp_claude_cross_upstream": true
         *     }
         */
        Features: {
            [key: string]: string | boolean | number;
        };
        AuditEntry: {
            /** Format: int64 */
            id?: number;
            /** Format: date-time */
            at?: string;
            /** @example jwt:ops */
            actor?: string;
            /** @example update */
            action?: string;
            /** @example provider */
            resource?: string;
            /** @description The id; a model's name; "" for feature flags. */
            resource_id?: string;
            /** @description Secrets masked; null on create. */
            before?: Record<string, never> | null;
            /** @description Secrets masked; null on delete. */
            after?: Record<string, never> | null;
            request_id?: string;
        };
        /** @description Read-only fields accepted and ignored: id, epoch, key_prefix, created_at, updated_at. */
        MasterInput: {
            /** @description Unique. */
            name?: string;
            /** @default default */
            group: string;
            namespaces?: string[];
            /** @description One of namespaces; defaults to the first one on creation. */
            default_namespace?: string;
            /**
             * @description Counts every key of the master, whatever its status.
             * @default 100
             */
            max_child_keys: number;
            /** @default 0 */
            global_qps: number;
            /**
             * @default active
             * @enum {string}
             */
            status: "active" | "suspended";
        };
        Master: {
            /** Format: int64 */
            id?: number;
            name?: string;
            group?: string;
            namespaces?: string[];
            default_namespace?: string;
            max_child_keys?: number;
            global_qps?: number;
            /** @enum {string} */
            status?: "active" | "suspended";
            epoch?: number;
            /** @description The first characters of the master key, for display. */
            key_prefix?: string;
            /** Format: date-time */
            created_at?: string;
            /** Format: date-time */
            updated_at?: string;
        };
        /**
         * @description Read-only fields accepted and ignored (PUT /keys/{id}): id, issued_by,
         *     key_prefix, created_at, updated_at, status_reason.
         */
        KeyInput: {
            name?: string;
            group?: string;
            /** @description A subset of the master's namespaces; empty means all of them. */
            namespaces?: string[];
            scopes?: string[];
            /**
             * @description The models this key may call (New API's convention): each a public model or namespace.public_model, trimmed (Go's strings.TrimSpace), duplicates dropped. Applied only when model_limits_enabled is true; a non-empty list sent without model_limits_enabled turns it on. The per-model rate limits this field held before are model_rate_limits. The key snapshot in Redis (config:keys) carries model_limits (an array), model_limits_enabled and model_rate_limits under these names.
             * @example [
             *       "gpt-4o",
             *       "default.claude-3-5-sonnet"
             *     ]
             */
            model_limits?: string[];
            /**
             * @description Whether model_limits restricts the key. true with an empty list means the key may call no model: accepted, and the answer carries `warnings`.
             * @default false
             */
            model_limits_enabled: boolean;
            /**
             * @description model -> a non-negative integer, or {"rpm": n, "tpm": n} (both optional). Unknown limit names (e.g. "rmp") and wrong types are a 400 naming the JSON path (model_rate_limits.gpt-4o.rmp).
             * @example {
             *       "gpt-4o": {
             *         "rpm": 60,
             *         "tpm": 100000
             *       }
             *     }
             */
            model_rate_limits?: {
                [key: string]: number | {
                    rpm?: number;
                    tpm?: number;
                };
            };
            /** @description IPv4/IPv6 addresses or CIDR networks (host bits must be zero). */
            allow_ips?: string[];
            /**
             * Format: date-time
             * @description RFC 3339; null clears it (never expires). A new key's must be in the future (400 otherwise).
             */
            expires_at?: string | null;
            /** @default active */
            status: components["schemas"]["ActiveDisabled"];
            /**
             * Format: int64
             * @description Quota in the source system's units (imported from New API); admins only (a master setting it is a 400).
             * @default 0
             */
            quota_limit: number;
            /**
             * Format: int64
             * @default 0
             */
            quota_used: number;
            /**
             * @description true ignores quota_limit.
             * @default true
             */
            unlimited_quota: boolean;
        };
        Key: {
            /** Format: int64 */
            id?: number;
            /** Format: int64 */
            master_id?: number;
            name?: string;
            /**
             * @description The key's own group or, when it has none, its master's: what the balancer
             *     reads in Redis. Sent back unchanged in a PUT, an inherited group stays inherited.
             */
            group?: string;
            namespaces?: string[];
            scopes?: string[];
            model_limits?: string[];
            model_limits_enabled?: boolean;
            model_rate_limits?: Record<string, never>;
            /** @description Writes only (create, update, rotate), present when something is accepted but probably unintended: model_limits_enabled with an empty model_limits (the key may call no model). */
            warnings?: string[];
            allow_ips?: string[];
            /** Format: date-time */
            expires_at?: string | null;
            status?: components["schemas"]["ActiveDisabled"];
            /** @enum {string} */
            issued_by?: "admin" | "master";
            key_prefix?: string;
            /** Format: date-time */
            created_at?: string;
            /** Format: date-time */
            updated_at?: string;
            /** @description Why an imported key is disabled: expired, exhausted, no_plaintext; "" otherwise (cleared when the key is set active). */
            status_reason?: string;
            /** Format: int64 */
            quota_limit?: number;
            /** Format: int64 */
            quota_used?: number;
            unlimited_quota?: boolean;
        };
        MasterKeyInput: {
            name?: string;
            status?: components["schemas"]["ActiveDisabled"];
            model_limits?: components["schemas"]["KeyInput"]["model_limits"];
            model_limits_enabled?: components["schemas"]["KeyInput"]["model_limits_enabled"];
            model_rate_limits?: components["schemas"]["KeyInput"]["model_rate_limits"];
        };
        KeyWithSecret: components["schemas"]["Key"] & {
            /** @description The plaintext token (ezk_...), shown once. */
            key?: string;
        };
        /**
         * @description Per million tokens. A JSON number (its shortest round-trip form is taken, so
         *     0.0000025 stays 0.0000025) or a decimal string for more digits; stored as
         *     PostgreSQL numeric and answered as a number printed in shortest round-trip form.
         *     At most 12 digits before the point and 18 after it; finite, >= 0. null clears
         *     it. input_price and output_price are set or cleared together (a model is
         *     priced when both are set); cache_read_price needs them. Prices stay in
         *     PostgreSQL (not in the balancer's snapshot). The flusher prices each log entry
         *     that carries no cost at ingest: ((prompt_tokens - cached) * input_price +
         *     cached * cache_read_price + completion_tokens * output_price) / 1e6, cached
         *     being the entry's `cache_read_tokens` (kept in extra) capped at prompt_tokens,
         *     and cache_read_price defaulting to input_price. The model is
         *     `<namespace>.<model>` of the entry, the namespace defaulting to its master's
         *     default_namespace, else `default`.
         */
        Price: (number | null) | string;
        UsageMetrics: {
            /** Format: int64 */
            requests?: number;
            /**
             * Format: int64
             * @description status_code >= 400
             */
            errors?: number;
            /** Format: int64 */
            prompt_tokens?: number;
            /** Format: int64 */
            completion_tokens?: number;
            /** Format: int64 */
            total_tokens?: number;
            /** @description Sum over priced requests; null when none was priced. */
            cost?: number | null;
            /** Format: int64 */
            unpriced_requests?: number;
            latency_p50_ms?: number | null;
            latency_p95_ms?: number | null;
            latency_p99_ms?: number | null;
        };
        UsageRow: {
            /** @description The group as text ("" when the dimension is absent from the logs). */
            group?: string;
            /**
             * Format: int64
             * @description group_by=master
             */
            master_id?: number | null;
            /**
             * Format: int64
             * @description group_by=key
             */
            key_id?: number | null;
            /** @description group_by=model */
            model?: string | null;
            /**
             * Format: int64
             * @description group_by=provider
             */
            provider_id?: number | null;
            /**
             * Format: date-time
             * @description group_by=day or hour (start, UTC)
             */
            bucket?: string;
            /**
             * @description group_by=key only (JSON answers and the NDJSON export; not the CSV export): the
             *     key's quota as stored on the key (set by `POST /admin/import` from New API or by
             *     the key API), in the source system's quota units. `used` is that stored number;
             *     the gateway does not convert the cost above into quota units. Null when the key
             *     no longer exists.
             */
            quota?: components["schemas"]["KeyQuotaReport"] | null;
        } & components["schemas"]["UsageMetrics"];
        KeyQuotaReport: {
            /** @description The key's unlimited_quota. */
            unlimited: boolean;
            /**
             * Format: int64
             * @description The key's quota_limit.
             */
            limit: number;
            /**
             * Format: int64
             * @description The key's quota_used.
             */
            used: number;
            /**
             * Format: int64
             * @description limit - used, never below 0; null when unlimited.
             */
            remaining: number | null;
        };
        UsageReport: {
            /** Format: date-time */
            from?: string;
            /** Format: date-time */
            to?: string;
            /** @enum {string} */
            group_by?: "master" | "key" | "model" | "provider" | "day" | "hour";
            rows?: components["schemas"]["UsageRow"][];
            totals?: components["schemas"]["UsageMetrics"];
        };
        /** @description A stored log entry (the fields of LogEntry as stored, plus id and received_at). */
        StoredLog: {
            /** Format: int64 */
            id?: number;
            /** Format: date-time */
            ts?: string;
            /** Format: date-time */
            received_at?: string;
            request_id?: string;
            /** Format: int64 */
            master_id?: number | null;
            /** Format: int64 */
            key_id?: number | null;
            namespace?: string | null;
            model?: string | null;
            upstream_model?: string | null;
            /** Format: int64 */
            provider_id?: number | null;
            provider_type?: string | null;
            route_group?: string | null;
            status_code?: number | null;
            /** Format: int64 */
            latency_ms?: number | null;
            /** Format: int64 */
            ttft_ms?: number | null;
            /** Format: int64 */
            prompt_tokens?: number | null;
            /** Format: int64 */
            completion_tokens?: number | null;
            /** Format: int64 */
            total_tokens?: number | null;
            /** @description Carried by the entry, or computed at ingest; null when unpriced. */
            cost?: number | null;
            client_ip?: string | null;
            stream?: boolean | null;
            error_type?: string | null;
            error_message?: string | null;
            extra?: Record<string, never> | null;
        };
    };
    responses: {
        /** @description Bad JSON, wrong type, out-of-range value, missing or unknown field (`field` names it). */
        BadRequest: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description No or bad credentials. */
        Unauthorized: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description Valid credentials of another kind. */
        Forbidden: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description No such resource. */
        NotFound: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description Duplicate (the field is named), limit reached, or still referenced. */
        Conflict: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description The body is larger than allowed. */
        TooLarge: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description Unsupported Content-Type. */
        UnsupportedMedia: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description The log queue cannot take the request; nothing was accepted. Retry after `Retry-After` seconds. */
        QueueFull: {
            headers: {
                "Retry-After"?: number;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description PostgreSQL or Redis is unreachable. */
        Unavailable: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description `too_many_requests`: this caller (a master, or the admin credential) already runs `usage.search_max_concurrent` log searches on this host. Retry after `Retry-After` seconds. */
        TooManySearches: {
            headers: {
                "Retry-After"?: number;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description `query_timeout`: the query ran past `usage.search_timeout_ms` (narrow the window or add filters); `overloaded` (exports): `usage.export_max_concurrent` exports already run on this host; `unavailable`: PostgreSQL is unreachable. Always with `Retry-After`. */
        SearchUnavailable: {
            headers: {
                "Retry-After"?: number;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
    };
    parameters: {
        /** @description RFC 3339 or unix seconds; default `to` minus one day. Widened down to the hour. */
        UsageFrom: string;
        /** @description RFC 3339 or unix seconds; default `to` minus one day. */
        LogsFrom: string;
        /** @description RFC 3339 or unix seconds (exclusive), 1970 .. 9999-12-31T23:59:59Z; default now. Usage widens it up to the hour, so there it is at most 9999-12-31T23:00:00Z (400 naming `to`). */
        UsageTo: string;
        GroupBy: "master" | "key" | "model" | "provider" | "day" | "hour";
        ExportFormat: "csv" | "ndjson";
        /** @description A status code (100..599) or a class (1xx..5xx). */
        LogStatus: string;
        /** @description A positive integer id. Anything else (non-numeric, negative, beyond 64 bits) is 404. */
        Id: number;
        /** @description Page size, 1..500 (400 otherwise). */
        Limit: number;
        /** @description The previous page's `next_cursor`, as is (opaque). */
        Cursor: string;
    };
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
