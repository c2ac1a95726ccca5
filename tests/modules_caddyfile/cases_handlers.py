"""Caddyfiles exercising header, request_header, file_server, try_files, encode, rewrite, uri,
method, handle_path, templates, basic_auth, request_body, map, push, tracing, intercept,
acme_server, metrics and timeouts: valid and invalid."""
from tests.modules_caddyfile.cases_proxy import site

_CASES: dict[str, dict[str, str]] = {
    "header": {
        "set_line": site("\theader X-A b\n"),
        "ops_block": site("\theader {\n\t\t+X-Add a\n\t\t-Server\n\t\tX-Set: b\n\t\t?X-Default c\n"
                          "\t\tX-Rep ^a z\n\t\t>X-Deferred d\n\t\t>X-DefRep a b\n\t\tdefer\n\t}\n"),
        "delete_line": site("\theader -Server\n"),
        "default_line": site("\theader ?Cache-Control max-age=3600\n"),
        "matcher": site("\t@a path /a\n\theader @a X-A b\n\theader /b* X-B c\n"),
        "match_block": site("\theader {\n\t\tX-A b\n\t\tmatch {\n\t\t\tstatus 2xx 404\n\t\t\theader Content-Type text/*\n"
                            "\t\t}\n\t}\n"),
        "both": site("\theader X-A b {\n\t\tX-B c\n\t}\n"),
        "empty": site("\theader\n"),
        "replace_line": site("\theader Location http:// https://\n"),
        "append_cookie": site("\theader +Set-Cookie a=b\n"),
        "field_only": site("\theader X-A\n"),
        "deferred_line": site("\theader >X-A b\n"),
        "replace_deferred_line": site("\theader >X-A b c\n"),
        "lowercase": site("\theader x-custom-HEADER v\n"),
        "match_only": site("\theader {\n\t\tmatch status 200\n\t}\n"),
        "defer_only": site("\theader {\n\t\tdefer\n\t}\n"),
        "default_and_plain": site("\theader /x {\n\t\t?A 1\n\t\tB 2\n\t}\n"),
        "default_with_match": site("\theader {\n\t\t?A 1\n\t\tmatch {\n\t\t\tstatus 200\n\t\t}\n\t}\n"),
        "match_twice": site("\theader {\n\t\tX-A b\n\t\tmatch status 200\n\t\tmatch status 404\n\t}\n"),
        "match_headers": site("\theader {\n\t\tX-A b\n\t\tmatch {\n\t\t\theader !X-Y\n\t\t\theader x-z a\n"
                              "\t\t\theader X-Z b\n\t\t\tstatus 200\n\t\t\tstatus 3xx\n\t\t}\n\t}\n"),
        "match_header_bad": site("\theader {\n\t\tmatch header\n\t}\n"),
        "match_bad": site("\theader {\n\t\tmatch {\n\t\t\tnope 1\n\t\t}\n\t}\n"),
    },
    "log_append": {
        "late": site("\tlog_append key {http.request.uri}\n"),
        "early_with_matcher": site("\tlog_append /api/* <key {http.request.method}\n"),
        "lone_angle": site("\tlog_append < v\n"),
        "empty_value": site("\tlog_append key \"\"\n"),
        "missing_value": site("\tlog_append key\n"),
        "missing_all": site("\tlog_append\n"),
    },
    "request_header": {
        "set": site("\trequest_header X-A b\n"),
        "ops": site("\trequest_header +X-A b\n\trequest_header -X-B\n\trequest_header X-C a b\n"
                    "\trequest_header @m X-D: d\n\t@m method GET\n"),
        "default": site("\trequest_header ?X-A b\n"),
        "none": site("\trequest_header\n"),
        "too_many": site("\trequest_header a b c d\n"),
    },
    "file_server": {
        "plain": site("\tfile_server\n"),
        "browse_arg": site("\tfile_server browse\n"),
        "bad_arg": site("\tfile_server nope\n"),
        "too_many": site("\tfile_server browse x\n"),
        "all": site("\tfile_server /static/* {\n\t\tfs myfs\n\t\troot /srv\n\t\thide .git *.bak /etc/secret\n"
                    "\t\tindex index.html index.txt\n\t\tbrowse tpl.html {\n\t\t\treveal_symlinks\n"
                    "\t\t\tsort size desc\n\t\t\tfile_limit 100\n\t\t}\n\t\tprecompressed zstd gzip br\n"
                    "\t\tstatus 404\n\t\tdisable_canonical_uris\n\t\tpass_thru\n\t\tetag_file_extensions .json .txt\n"
                    "\t}\n"),
        "precompressed_default": site("\tfile_server {\n\t\tprecompressed\n\t}\n"),
        "precompressed_bad": site("\tfile_server {\n\t\tprecompressed lzma\n\t}\n"),
        "browse_twice": site("\tfile_server browse {\n\t\tbrowse\n\t}\n"),
        "browse_bad_sort": site("\tfile_server {\n\t\tbrowse {\n\t\t\tsort sideways\n\t\t}\n\t}\n"),
        "browse_bad_limit": site("\tfile_server {\n\t\tbrowse {\n\t\t\tfile_limit\n\t\t}\n\t}\n"),
        "browse_unknown": site("\tfile_server {\n\t\tbrowse {\n\t\t\tnope\n\t\t}\n\t}\n"),
        "fs_twice": site("\tfile_server {\n\t\tfs a\n\t\tfs b\n\t}\n"),
        "unknown": site("\tfile_server {\n\t\tnope\n\t}\n"),
        "hide_none": site("\tfile_server {\n\t\thide\n\t}\n"),
        "hide_caddyfile": site("\tfile_server {\n\t\thide Caddyfile\n\t}\n"),
        "status_placeholder": site("\tfile_server {\n\t\tstatus {err.status_code}\n\t}\n"),
        "canonical_args": site("\tfile_server {\n\t\tdisable_canonical_uris x\n\t}\n"),
    },
    "try_files": {
        "basic": site("\ttry_files {path} {path}/ /index.html\n"),
        "query": site("\ttry_files {path} /index.php?{query}&p={path} /x\n"),
        "policy": site("\ttry_files a b {\n\t\tpolicy smallest_size\n\t}\n"),
        "policy_bad": site("\ttry_files a {\n\t\tpolicy random\n\t}\n"),
        "policy_twice": site("\ttry_files a {\n\t\tpolicy first_exist\n\t\tpolicy first_exist\n\t}\n"),
        "none": site("\ttry_files\n"),
        "matcher": site("\t@a path /a/*\n\ttry_files @a {path} /a/index.html\n"),
    },
    "encode": {
        "default": site("\tencode\n"),
        "args": site("\tencode gzip zstd\n"),
        "block": site("\tencode {\n\t\tgzip 5\n\t\tzstd better\n\t\tminimum_length 256\n"
                      "\t\tmatch {\n\t\t\theader Content-Type text/*\n\t\t}\n\t}\n"),
        "zstd_block": site("\tencode {\n\t\tzstd {\n\t\t\tlevel fastest\n\t\t\tdisable_checksum\n\t\t}\n\t}\n"),
        "zstd_bad_level": site("\tencode {\n\t\tzstd fast\n\t}\n"),
        "zstd_level_twice": site("\tencode {\n\t\tzstd best {\n\t\t\tlevel best\n\t\t}\n\t}\n"),
        "zstd_unknown": site("\tencode {\n\t\tzstd {\n\t\t\tnope\n\t\t}\n\t}\n"),
        "gzip_bad": site("\tencode {\n\t\tgzip high\n\t}\n"),
        "minimum_bad": site("\tencode {\n\t\tminimum_length x\n\t}\n"),
        "unknown_encoder": site("\tencode br\n"),
        "unknown_block_encoder": site("\tencode {\n\t\tlzma\n\t}\n"),
        "mixed": site("\tencode zstd {\n\t\tgzip\n\t}\n"),
        "match_twice": site("\tencode {\n\t\tmatch status 200\n\t\tmatch status 404\n\t}\n"),
    },
    "rewrite": {
        "one": site("\trewrite /index.html\n"),
        "matcher": site("\t@a path /a\n\trewrite @a /b?{query}\n\trewrite /c /d\n"),
        "none": site("\trewrite\n"),
        "too_many": site("\trewrite a b c\n"),
        "method": site("\tmethod POST\n\tmethod /a GET\n"),
        "method_none": site("\tmethod\n"),
        "method_extra": site("\tmethod GET POST\n"),
    },
    "uri": {
        "strip": site("\turi strip_prefix /api\n\turi strip_suffix .html\n"),
        "strip_bad": site("\turi strip_prefix\n"),
        "replace": site("\turi replace /a /b\n\turi replace /c /d 2\n"),
        "replace_bad_limit": site("\turi replace a b x\n"),
        "replace_bad": site("\turi replace a\n"),
        "path_regexp": site("\turi path_regexp ^/(.*)$ /x/$1\n"),
        "path_regexp_bad": site("\turi path_regexp a\n"),
        "query_line": site("\turi query +a b\n\turi query -c\n\turi query d>e\n\turi query f g\n"
                           "\turi query h ^i j\n"),
        "query_block": site("\turi query {\n\t\t+a b\n\t\t-c\n\t\td>e\n\t\tf g\n\t\th ^i j\n\t}\n"),
        "query_both": site("\turi query a b {\n\t\tc d\n\t}\n"),
        "query_bad": site("\turi query {\n\t\t-a b\n\t}\n"),
        "query_empty": site("\turi query\n"),
        "unknown": site("\turi nope\n"),
        "none": site("\turi\n"),
    },
    "handle_path": {
        "basic": site("\thandle_path /api/* {\n\t\trespond ok\n\t}\n"),
        "exact": site("\thandle_path /api {\n\t\trespond ok\n\t}\n\thandle_path /b* {\n\t\tfile_server\n\t}\n"),
        "no_slash": site("\thandle_path api {\n\t\trespond ok\n\t}\n"),
        "none": site("\thandle_path\n"),
    },
    "templates": {
        "plain": site("\ttemplates\n"),
        "all": site("\ttemplates {\n\t\tmime text/html text/plain\n\t\tbetween [[ ]]\n\t\troot /tpl\n\t}\n"),
        "between_bad": site("\ttemplates {\n\t\tbetween [[\n\t}\n"),
        "mime_none": site("\ttemplates {\n\t\tmime\n\t}\n"),
        "extension_unknown": site("\ttemplates {\n\t\textensions {\n\t\t\tnope\n\t\t}\n\t}\n"),
    },
    "basic_auth": {
        "bcrypt": site("\tbasic_auth {\n\t\tbob $2a$14$Zkx19XLiW6VYouLHR5NmfOFU0z2GTNmpkT/5qqR7hx4IjWJPDhjvG\n\t}\n"),
        "realm": site("\tbasic_auth /secret/* bcrypt Area {\n\t\ta $2a$14$x\n\t\tb $2a$14$y\n\t}\n"),
        "argon": site("\tbasic_auth argon2id {\n\t\ta $argon2id$v=19$m=47104,t=1,p=1$x$y\n\t}\n"),
        "deprecated": site("\tbasicauth {\n\t\ta $2a$14$x\n\t}\n"),
        "bad_hash": site("\tbasic_auth md5 {\n\t\ta b\n\t}\n"),
        "missing_password": site("\tbasic_auth {\n\t\ta\n\t}\n"),
        "extra": site("\tbasic_auth {\n\t\ta b c\n\t}\n"),
        "too_many": site("\tbasic_auth a b c\n"),
    },
    "request_body": {
        "all": site("\trequest_body {\n\t\tmax_size 10MB\n\t\tset hello\n\t}\n"),
        "bad_size": site("\trequest_body {\n\t\tmax_size lots\n\t}\n"),
        "unknown": site("\trequest_body {\n\t\tnope\n\t}\n"),
        "extra": site("\trequest_body {\n\t\tmax_size 1 2\n\t}\n"),
        "empty": site("\trequest_body\n"),
    },
    "map": {
        "basic": site("\tmap {host} {a} {b} {\n\t\tx.com 1 -\n\t\t~(.*)\\.net$ \"${1}\" true\n"
                      "\t\ty.com\n\t\tdefault d\n\t}\n\trespond {a}\n"),
        "shorthand_dest": site("\tmap {host} {path} {\n\t\tdefault x\n\t}\n"),
        "no_dest": site("\tmap {host}\n"),
        "none": site("\tmap\n"),
        "too_many_outputs": site("\tmap {host} {a} {\n\t\tx 1 2\n\t}\n"),
        "defaults_twice": site("\tmap {host} {a} {\n\t\tdefault 1\n\t\tdefault 2\n\t}\n"),
    },
    "push": {
        "all": site("\tpush /a.css {\n\t\t/b.js\n\t\tGET /c\n\t\tHEAD /d\n\t\theaders {\n\t\t\t+X-A b\n"
                    "\t\t\t-X-B\n\t\t\tX-C d e\n\t\t}\n\t}\n"),
        "plain": site("\tpush\n"),
        "get_none": site("\tpush {\n\t\tGET\n\t}\n"),
        "headers_args": site("\tpush {\n\t\theaders x\n\t}\n"),
        "headers_default": site("\tpush {\n\t\theaders {\n\t\t\t?X a\n\t\t}\n\t}\n"),
    },
    "tracing": {
        "span": site("\ttracing {\n\t\tspan my-span\n\t\tspan_attributes {\n\t\t\ta b\n\t\t\tc {host}\n\t\t}\n\t}\n"),
        "plain": site("\ttracing\n"),
        "args": site("\ttracing x\n"),
        "unknown": site("\ttracing {\n\t\tnope\n\t}\n"),
        "span_extra": site("\ttracing {\n\t\tspan a b\n\t}\n"),
        "attr_bad": site("\ttracing {\n\t\tspan_attributes {\n\t\t\ta\n\t\t}\n\t}\n"),
    },
    "intercept": {
        "all": site("\tintercept {\n\t\t@e status 404 5xx\n\t\treplace_status @e 200\n\t\treplace_status 201\n"
                    "\t\thandle_response {\n\t\t\trespond \"x\"\n\t\t}\n\t\thandle_response @e {\n"
                    "\t\t\trewrite * /err.html\n\t\t\tfile_server\n\t\t}\n\t}\n"),
        "unknown": site("\tintercept {\n\t\tnope\n\t}\n"),
        "bad_matcher": site("\tintercept {\n\t\treplace_status @nope 200\n\t}\n"),
    },
    "acme_server": {
        "plain": site("\tacme_server\n", "acme.localhost"),
        "all": site("\tacme_server {\n\t\tca corp\n\t\tlifetime 12h\n\t\tresolvers 1.1.1.1\n"
                    "\t\tchallenges http-01 dns-01\n\t\tallow_wildcard_names\n\t\tallow {\n\t\t\tdomains a.com b.com\n"
                    "\t\t\tip_ranges 10.0.0.0/8\n\t\t}\n\t\tdeny {\n\t\t\tdomains bad.a.com\n\t\t}\n"
                    "\t\tsign_with_root\n\t}\n", "acme.localhost"),
        "args": site("\tacme_server x\n", "acme.localhost"),
        "bad_lifetime": site("\tacme_server {\n\t\tlifetime x\n\t}\n", "acme.localhost"),
        "unknown": site("\tacme_server {\n\t\tnope\n\t}\n", "acme.localhost"),
        "allow_unknown": site("\tacme_server {\n\t\tallow {\n\t\t\tnames a\n\t\t}\n\t}\n", "acme.localhost"),
        "allow_empty_line": site("\tacme_server {\n\t\tdeny {\n\t\t\tdomains\n\t\t}\n\t}\n", "acme.localhost"),
        "no_resolvers": site("\tacme_server {\n\t\tresolvers\n\t}\n", "acme.localhost"),
    },
    "metrics": {
        "plain": site("\tmetrics /metrics\n"),
        "block": site("\tmetrics {\n\t\tdisable_openmetrics\n\t}\n"),
        "args": site("\tmetrics /m x\n"),
        "unknown": site("\tmetrics {\n\t\tnope\n\t}\n"),
    },
    "timeouts": {
        "all": site("\ttimeouts {\n\t\tread_timeout 5s 1024\n\t\twrite_timeout 10s\n\t\tmax_write_chunk 64KiB\n\t}\n"),
        "bad_duration": site("\ttimeouts {\n\t\tread_timeout 5d\n\t}\n"),
        "bad_rate": site("\ttimeouts {\n\t\twrite_timeout 5s x\n\t}\n"),
        "unknown": site("\ttimeouts {\n\t\tnope\n\t}\n"),
    },
}

HANDLER_CASES: dict[str, str] = {f"{d}_{name}": text for d, cases in _CASES.items() for name, text in cases.items()}
