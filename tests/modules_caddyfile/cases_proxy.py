"""Caddyfiles exercising reverse_proxy, its guest modules, copy_response(_headers), php_fastcgi
and forward_auth: every subdirective, valid and invalid."""


def site(body: str, address: str = ":8080") -> str:
    return f"{address} {{\n{body}}}\n"


def rp(block: str, upstreams: str = "localhost:9000") -> str:
    return site(f"\treverse_proxy {upstreams} {{\n{block}\t}}\n")


PROXY_CASES: dict[str, str] = {
    # upstreams
    "up_plain": site("\treverse_proxy localhost:9000 127.0.0.1 [::1]:81 example.com\n"),
    "up_schemes_https": site("\treverse_proxy https://a.com https://b.com:8443\n"),
    "up_scheme_h2c": site("\treverse_proxy h2c://a:81\n"),
    "up_scheme_mixed": site("\treverse_proxy http://a https://b\n"),
    "up_scheme_ws": site("\treverse_proxy ws://a\n"),
    "up_scheme_wss": site("\treverse_proxy wss://a\n"),
    "up_scheme_ftp": site("\treverse_proxy ftp://a\n"),
    "up_url_path": site("\treverse_proxy http://a/path\n"),
    "up_url_query": site("\treverse_proxy http://a?x=1\n"),
    "up_http_443": site("\treverse_proxy http://a:443\n"),
    "up_https_80": site("\treverse_proxy https://a:80\n"),
    "up_h2c_443": site("\treverse_proxy h2c://a:443\n"),
    "up_placeholder_scheme": site("\treverse_proxy http://{host}:80\n"),
    "up_placeholder": site("\treverse_proxy {upstream} {host}:8080 a:{port}\n"),
    "up_unix": site("\treverse_proxy unix//run/app.sock unix+h2c//run/h2c.sock\n"),
    "up_range": site("\treverse_proxy localhost:8001-8003\n"),
    "up_range_url": site("\treverse_proxy http://localhost:8001-8002\n"),
    "up_range_bad": site("\treverse_proxy localhost:9-8\n"),
    "up_range_badurl": site("\treverse_proxy http://localhost:1-2-3\n"),
    "up_bad_port": site("\treverse_proxy localhost:abc\n"),
    "up_to": rp("\t\tto a:1 b:2\n\t\tto c:3\n", ""),
    "up_to_empty": rp("\t\tto\n"),
    "up_none": site("\treverse_proxy\n"),
    "up_port_only": site("\treverse_proxy :9000 localhost [::1] a.com:0\n"),
    "up_ipv6_url": site("\treverse_proxy http://[::1]:81 http://[fe80::1]\n"),
    "up_ipv6_url_bad": site("\treverse_proxy http://[::1\n"),
    "up_https_range": site("\treverse_proxy https://a.com:8443-8445\n"),
    "up_userinfo": site("\treverse_proxy http://user:pw@a.com:81\n"),
    "up_fragment": site("\treverse_proxy http://a.com#frag\n"),
    "up_slash": site("\treverse_proxy http://a.com/\n"),
    "up_empty_host": site("\treverse_proxy http://:81\n"),
    "up_networks": site("\treverse_proxy udp/a:1 tcp4/b:2\n"),
    "up_port_out_of_range": site("\treverse_proxy localhost:70000\n"),
    "up_range_too_big": site("\treverse_proxy localhost:1-70000\n"),
    "up_placeholders": site("\treverse_proxy {http.x}:{y} {z}\n"),
    "up_h2c_https_mix": site("\treverse_proxy h2c://a https://b\n"),
    "up_srv_scheme": site("\treverse_proxy srv+http://a\n"),
    "up_url_bad_port": site("\treverse_proxy http://a:abc\n"),
    "up_url_uppercase": site("\treverse_proxy HTTP://A.com\n"),
    "up_args_and_to": rp("\t\tto b:2\n", "a:1"),
    "up_scheme_and_plain": site("\treverse_proxy https://a b:443\n"),
    "up_h2c_transport": rp("\t\ttransport http {\n\t\t\tread_buffer 1k\n\t\t}\n", "h2c://a:81"),
    "up_unix_h2c_transport": site("\treverse_proxy unix+h2c//run/x.sock\n"),
    "matcher_and_upstream": site("\t@api path /api/*\n\treverse_proxy @api a:1\n\treverse_proxy /b/* b:2\n"),
    # dynamic
    "dyn_a": rp("\t\tdynamic a example.com 8080 {\n\t\t\trefresh 5m\n\t\t\tresolvers 1.1.1.1 8.8.8.8\n"
                "\t\t\tdial_timeout 2s\n\t\t\tdial_fallback_delay 300ms\n\t\t\tversions ipv4 ipv6\n\t\t}\n", ""),
    "dyn_a_block": rp("\t\tdynamic a {\n\t\t\tname x.com\n\t\t\tport 81\n\t\t}\n", ""),
    "dyn_a_dup_name": rp("\t\tdynamic a x.com {\n\t\t\tname y.com\n\t\t}\n", ""),
    "dyn_a_bad_version": rp("\t\tdynamic a x.com {\n\t\t\tversions ipv5\n\t\t}\n", ""),
    "dyn_a_no_versions": rp("\t\tdynamic a x.com {\n\t\t\tversions\n\t\t}\n", ""),
    "dyn_a_unknown": rp("\t\tdynamic a x.com {\n\t\t\tbogus\n\t\t}\n", ""),
    "dyn_srv": rp("\t\tdynamic srv _api._tcp.example.com {\n\t\t\trefresh 1m\n\t\t\tgrace_period 5s\n"
                  "\t\t\tdial_timeout 1s\n\t\t\tdial_fallback_delay -1s\n\t\t\tresolvers 9.9.9.9\n\t\t}\n", ""),
    "dyn_srv_parts": rp("\t\tdynamic srv {\n\t\t\tservice api\n\t\t\tproto tcp\n\t\t\tname example.com\n\t\t}\n", ""),
    "dyn_srv_dup": rp("\t\tdynamic srv x {\n\t\t\tname y\n\t\t}\n", ""),
    "dyn_srv_bad_refresh": rp("\t\tdynamic srv x {\n\t\t\trefresh soon\n\t\t}\n", ""),
    "dyn_multi": rp("\t\tdynamic multi {\n\t\t\ta x.com 80\n\t\t\tsrv _s._tcp.y.com\n\t\t}\n", ""),
    "dyn_twice": rp("\t\tdynamic a x.com 80\n\t\tdynamic a y.com 80\n", ""),
    "dyn_unknown": rp("\t\tdynamic nope\n", ""),
    # load balancing
    "lb_policies": rp("\t\tlb_policy first\n\t\tlb_retries 3\n\t\tlb_try_duration 5s\n\t\tlb_try_interval 250ms\n"),
    "lb_wrr": rp("\t\tlb_policy weighted_round_robin 3 1 0\n", "a:1 b:2 c:3"),
    "lb_wrr_negative": rp("\t\tlb_policy weighted_round_robin 3 -1\n", "a:1 b:2"),
    "lb_wrr_bad": rp("\t\tlb_policy weighted_round_robin x\n", "a:1"),
    "lb_random_choose": rp("\t\tlb_policy random_choose 3\n"),
    "lb_random_choose_bad": rp("\t\tlb_policy random_choose x\n"),
    "lb_header": rp("\t\tlb_policy header X-User {\n\t\t\tfallback first\n\t\t}\n"),
    "lb_query": rp("\t\tlb_policy query key\n"),
    "lb_cookie": rp("\t\tlb_policy cookie sid secret {\n\t\t\tmax_age 1h\n\t\t\tfallback random\n\t\t}\n"),
    "lb_cookie_bad_age": rp("\t\tlb_policy cookie {\n\t\t\tmax_age -1s\n\t\t}\n"),
    "lb_cookie_fallback_twice": rp("\t\tlb_policy cookie {\n\t\t\tfallback first\n\t\t\tfallback random\n\t\t}\n"),
    "lb_simple": rp("\t\tlb_policy ip_hash\n"),
    "lb_policy_args": rp("\t\tlb_policy round_robin extra\n"),
    "lb_policy_twice": rp("\t\tlb_policy first\n\t\tlb_policy random\n"),
    "lb_policy_unknown": rp("\t\tlb_policy nope\n"),
    "lb_retries_bad": rp("\t\tlb_retries many\n"),
    "lb_try_duration_bad": rp("\t\tlb_try_duration 5\n"),
    "lb_try_interval_bad": rp("\t\tlb_try_interval x\n"),
    "lb_retry_match": rp("\t\tlb_retry_match method POST\n\t\tlb_retry_match {\n\t\t\tpath /a\n\t\t\theader X a\n\t\t}\n"),
    "lb_all_simple": site("".join(f"\thandle /{p} {{\n\t\treverse_proxy a:1 b:2 {{\n\t\t\tlb_policy {p}\n\t\t}}\n\t}}\n"
                              for p in ("random", "least_conn", "round_robin", "first", "ip_hash",
                                        "client_ip_hash", "uri_hash"))),
    "lb_header_no_field": rp("\t\tlb_policy header\n"),
    "lb_query_unknown_option": rp("\t\tlb_policy query k {\n\t\t\tnope\n\t\t}\n"),
    "lb_cookie_too_many": rp("\t\tlb_policy cookie a b c\n"),
    "lb_fallback_unknown": rp("\t\tlb_policy header X {\n\t\t\tfallback nope\n\t\t}\n"),
    "stream_close_delay_bad": rp("\t\tstream_close_delay x\n"),
    "stream_timeout_int": rp("\t\tstream_timeout 5\n"),
    "transport_http_bad_tls_timeout": rp("\t\ttransport http {\n\t\t\ttls_timeout x\n\t\t}\n"),
    "transport_http_client_auth_3": rp("\t\ttransport http {\n\t\t\ttls_client_auth a b c\n\t\t}\n"),
    "transport_http_no_curves": rp("\t\ttransport http {\n\t\t\ttls_curves\n\t\t}\n"),
    "transport_http_no_versions": rp("\t\ttransport http {\n\t\t\tversions\n\t\t}\n"),
    "transport_http_no_except_ports": rp("\t\ttransport http {\n\t\t\ttls_except_ports\n\t\t}\n"),
    "transport_http_skip_verify_args": rp("\t\ttransport http {\n\t\t\ttls_insecure_skip_verify x\n\t\t}\n"),
    "transport_http_compression_on": rp("\t\ttransport http {\n\t\t\tcompression on\n\t\t}\n"),
    "transport_http_network_unknown": rp("\t\ttransport http {\n\t\t\tnetwork_proxy socks\n\t\t}\n"),
    "transport_http_keepalive_bad_int": rp("\t\ttransport http {\n\t\t\tkeepalive_idle_conns x\n\t\t}\n"),
    "dyn_a_no_resolvers": rp("\t\tdynamic a x.com 80 {\n\t\t\tresolvers\n\t\t}\n", ""),
    "dyn_a_too_many": rp("\t\tdynamic a x 80 y\n", ""),
    "dyn_multi_args": rp("\t\tdynamic multi x\n", ""),
    "dyn_none": rp("\t\tdynamic\n", ""),
    "health_headers_empty": rp("\t\thealth_headers {\n\t\t}\n"),
    "health_status_3digit": rp("\t\thealth_status 204\n"),
    "copy_response_headers_empty": site("\troute {\n\t\tcopy_response_headers {\n\t\t\tinclude\n\t\t}\n\t}\n"),
    "copy_response_status_placeholder": site("\troute {\n\t\tcopy_response {\n\t\t\tstatus {x}\n\t\t}\n\t}\n"),
    # active health
    "health_active": rp("\t\thealth_uri /health?x=1\n\t\thealth_port 8081\n\t\thealth_interval 10s\n"
                        "\t\thealth_timeout 2s\n\t\thealth_status 2xx\n\t\thealth_body ok\n\t\thealth_method HEAD\n"
                        "\t\thealth_request_body {\"a\":1}\n\t\thealth_follow_redirects\n\t\thealth_passes 2\n"
                        "\t\thealth_fails 3\n\t\thealth_headers {\n\t\t\tHost example.com\n\t\t\tX-A 1 2\n\t\t\tX-Empty\n\t\t}\n"),
    "health_path": rp("\t\thealth_path /h\n"),
    "health_upstream": rp("\t\thealth_upstream 10.0.0.1:81\n"),
    "health_upstream_bad": rp("\t\thealth_upstream nope\n"),
    "health_upstream_then_port": rp("\t\thealth_upstream a:81\n\t\thealth_port 82\n"),
    "health_port_bad": rp("\t\thealth_port x\n"),
    "health_status_bad": rp("\t\thealth_status abc\n"),
    "health_interval_bad": rp("\t\thealth_interval x\n"),
    "health_follow_args": rp("\t\thealth_follow_redirects yes\n"),
    "health_passes_bad": rp("\t\thealth_passes x\n"),
    "health_uri_none": rp("\t\thealth_uri\n"),
    "health_unknown": rp("\t\thealth_nope 1\n"),
    # passive health
    "health_passive": rp("\t\tfail_duration 30s\n\t\tmax_fails 3\n\t\tunhealthy_status 5xx 404\n"
                         "\t\tunhealthy_latency 3s\n\t\tunhealthy_request_count 100\n"),
    "health_passive_bad_status": rp("\t\tunhealthy_status 5x\n"),
    "health_passive_bad_fails": rp("\t\tmax_fails x\n"),
    "health_passive_bad_count": rp("\t\tunhealthy_request_count x\n"),
    "health_passive_bad_duration": rp("\t\tfail_duration x\n"),
    "health_passive_no_status": rp("\t\tunhealthy_status\n"),
    # streaming
    "stream": rp("\t\tflush_interval -1\n\t\trequest_buffers 4k\n\t\tresponse_buffers unlimited\n"
                 "\t\tstream_buffer_size 64KiB\n\t\tstream_timeout 24h\n\t\tstream_close_delay 5m\n\t\tverbose_logs\n"),
    "stream_flush_duration": rp("\t\tflush_interval 100ms\n"),
    "stream_flush_bad": rp("\t\tflush_interval soon\n"),
    "stream_buffers_bad": rp("\t\trequest_buffers lots\n"),
    "stream_buffers_extra": rp("\t\trequest_buffers 4k 8k\n"),
    "verbose_twice": rp("\t\tverbose_logs\n\t\tverbose_logs\n"),
    # request manipulation
    "trusted_proxies": rp("\t\ttrusted_proxies private_ranges 1.2.3.4/32\n"),
    "trusted_proxies_empty": rp("\t\ttrusted_proxies\n"),
    "header_up_down": rp("\t\theader_up Host {upstream_hostport}\n\t\theader_up +X-A a\n\t\theader_up -X-B\n"
                         "\t\theader_up X-C ^a b\n\t\theader_down -Server\n\t\theader_down x-powered-by foo\n"
                         "\t\theader_down +Via 1\n\t\theader_down X-R a b\n"),
    "header_up_lints": rp("\t\theader_up X-Forwarded-For {remote_host}\n\t\theader_up x-forwarded-proto {scheme}\n"
                          "\t\theader_up X-Forwarded-Host {host}\n"),
    "header_up_host_https": rp("\t\theader_up Host {upstream_hostport}\n", "https://a.com"),
    "header_up_default": rp("\t\theader_up ?X-A b\n"),
    "header_up_too_many": rp("\t\theader_up a b c d\n"),
    "header_up_none": rp("\t\theader_up\n"),
    "method_rewrite": rp("\t\tmethod GET\n\t\trewrite /api{uri}\n"),
    "method_extra": rp("\t\tmethod GET POST\n"),
    "rewrite_none": rp("\t\trewrite\n"),
    # transports
    "transport_http": rp("\t\ttransport http {\n\t\t\tread_buffer 4k\n\t\t\twrite_buffer 8KiB\n\t\t\tread_timeout 5s\n"
                         "\t\t\twrite_timeout 6s\n\t\t\tmax_response_header 1MB\n\t\t\tproxy_protocol v2\n"
                         "\t\t\tdial_timeout 3s\n\t\t\tdial_fallback_delay 100ms\n\t\t\tresponse_header_timeout 30s\n"
                         "\t\t\texpect_continue_timeout 1s\n\t\t\tresolvers 1.1.1.1\n\t\t\tkeepalive 90s\n"
                         "\t\t\tkeepalive_interval 15s\n\t\t\tkeepalive_idle_conns 10\n"
                         "\t\t\tkeepalive_idle_conns_per_host 2\n\t\t\tversions 1.1 2\n\t\t\tcompression off\n"
                         "\t\t\tmax_conns_per_host 5\n\t\t\tlocal_address 10.0.0.5\n\t\t}\n"),
    "transport_http_tls": rp("\t\ttransport http {\n\t\t\ttls\n\t\t\ttls_client_auth cert.pem key.pem\n"
                             "\t\t\ttls_insecure_skip_verify\n\t\t\ttls_timeout 10s\n\t\t\ttls_server_name x.com\n"
                             "\t\t\ttls_renegotiation once\n\t\t\ttls_except_ports 8080 8081\n\t\t\ttls_curves x25519\n"
                             "\t\t}\n"),
    "transport_http_client_automate": rp("\t\ttransport http {\n\t\t\ttls_client_auth me.example.com\n\t\t}\n"),
    "transport_http_trusted_certs": rp("\t\ttransport http {\n\t\t\ttls_trusted_ca_certs a.pem b.pem\n\t\t}\n"),
    "transport_http_trust_pool": rp("\t\ttransport http {\n\t\t\ttls_trust_pool file a.pem\n\t\t}\n"),
    "transport_http_trust_both": rp("\t\ttransport http {\n\t\t\ttls_trust_pool file a.pem\n"
                                    "\t\t\ttls_trusted_ca_certs b.pem\n\t\t}\n"),
    "transport_http_trust_twice": rp("\t\ttransport http {\n\t\t\ttls_trust_pool file a.pem\n"
                                     "\t\t\ttls_trust_pool file b.pem\n\t\t}\n"),
    "transport_http_keepalive_off": rp("\t\ttransport http {\n\t\t\tkeepalive off\n\t\t}\n"),
    "transport_http_network_proxy": rp("\t\ttransport http {\n\t\t\tnetwork_proxy url http://proxy:3128\n\t\t}\n"),
    "transport_http_network_none": rp("\t\ttransport http {\n\t\t\tnetwork_proxy none\n\t\t}\n"),
    "transport_http_forward_proxy_url": rp("\t\ttransport http {\n\t\t\tforward_proxy_url http://p:1\n\t\t}\n"),
    "transport_http_empty": rp("\t\ttransport http\n"),
    "transport_http_bad_proxy_protocol": rp("\t\ttransport http {\n\t\t\tproxy_protocol v3\n\t\t}\n"),
    "transport_http_bad_renegotiation": rp("\t\ttransport http {\n\t\t\ttls_renegotiation sometimes\n\t\t}\n"),
    "transport_http_bad_buffer": rp("\t\ttransport http {\n\t\t\tread_buffer lots\n\t\t}\n"),
    "transport_http_bad_keepalive": rp("\t\ttransport http {\n\t\t\tkeepalive sometimes\n\t\t}\n"),
    "transport_http_bad_int": rp("\t\ttransport http {\n\t\t\tmax_conns_per_host x\n\t\t}\n"),
    "transport_http_unknown": rp("\t\ttransport http {\n\t\t\tbogus\n\t\t}\n"),
    "transport_http_no_resolvers": rp("\t\ttransport http {\n\t\t\tresolvers\n\t\t}\n"),
    "transport_http_tls_with_http_scheme": rp("\t\ttransport http {\n\t\t\ttls\n\t\t}\n", "http://a"),
    "transport_h2c_versions": rp("\t\ttransport http {\n\t\t\tversions h2c 2\n\t\t}\n"),
    "transport_https_scheme_tls": rp("\t\ttransport http {\n\t\t\ttls_server_name b.com\n\t\t}\n", "https://a.com"),
    "transport_twice": rp("\t\ttransport http\n\t\ttransport http\n"),
    "transport_unknown": rp("\t\ttransport nope\n"),
    "transport_fastcgi": rp("\t\ttransport fastcgi {\n\t\t\troot /srv\n\t\t\tsplit .php .phtml\n\t\t\tenv A b\n"
                            "\t\t\tresolve_root_symlink\n\t\t\tdial_timeout 3s\n\t\t\tread_timeout 4s\n"
                            "\t\t\twrite_timeout 5s\n\t\t\tcapture_stderr\n\t\t}\n"),
    "transport_fastcgi_https": rp("\t\ttransport fastcgi\n", "https://a"),
    "transport_fastcgi_bad_env": rp("\t\ttransport fastcgi {\n\t\t\tenv A\n\t\t}\n"),
    "transport_fastcgi_unknown": rp("\t\ttransport fastcgi {\n\t\t\tnope\n\t\t}\n"),
    # handle_response and friends
    "handle_response": rp("\t\t@err status 5xx 404\n\t\t@hdr header X-Accel *\n\t\thandle_response @err {\n"
                          "\t\t\trespond \"oops\" 500\n\t\t}\n\t\thandle_response {\n\t\t\tcopy_response 202\n\t\t}\n"
                          "\t\thandle_response @hdr {\n\t\t\trewrite * {rp.header.X-Accel}\n"
                          "\t\t\tcopy_response_headers {\n\t\t\t\tinclude A B\n\t\t\t\texclude C\n\t\t\t}\n"
                          "\t\t\tfile_server\n\t\t}\n"),
    "handle_response_unknown_matcher": rp("\t\thandle_response @nope {\n\t\t\trespond x\n\t\t}\n"),
    "handle_response_not_named": rp("\t\thandle_response foo {\n\t\t\trespond x\n\t\t}\n"),
    "handle_response_two_args": rp("\t\t@a status 500\n\t\thandle_response @a @a {\n\t\t\trespond x\n\t\t}\n"),
    "response_matcher_twice": rp("\t\t@a status 500\n\t\t@a status 404\n"),
    "response_matcher_bad": rp("\t\t@a bogus 1\n"),
    "response_matcher_bad_status": rp("\t\t@a status abc\n"),
    "replace_status": rp("\t\t@a status 404\n\t\treplace_status @a 200\n\t\treplace_status 201\n"),
    "replace_status_no_args": rp("\t\treplace_status\n"),
    "replace_status_block": rp("\t\treplace_status 200 {\n\t\t\trespond x\n\t\t}\n"),
    "replace_status_not_named": rp("\t\treplace_status foo 200\n"),
    "unknown_subdirective": rp("\t\tbogus\n"),
    "copy_response_outside": site("\tcopy_response 200\n"),
    "copy_response_block": site("\troute {\n\t\tcopy_response {\n\t\t\tstatus 201\n\t\t}\n\t}\n"),
    "copy_response_bad": site("\troute {\n\t\tcopy_response {\n\t\t\tnope\n\t\t}\n\t}\n"),
    "copy_response_headers_args": site("\troute {\n\t\tcopy_response_headers x\n\t}\n"),
    "copy_response_headers_bad": site("\troute {\n\t\tcopy_response_headers {\n\t\t\tnope\n\t\t}\n\t}\n"),
    # php_fastcgi
    "php_basic": site("\tphp_fastcgi localhost:9000\n"),
    "php_matcher": site("\t@php path /app/*\n\tphp_fastcgi @php unix//run/php.sock\n"),
    "php_subdirectives": site("\tphp_fastcgi localhost:9000 {\n\t\troot /var/www\n\t\tsplit .php .php5\n"
                              "\t\tenv FOO bar\n\t\tindex main.php\n\t\tresolve_root_symlink\n\t\tdial_timeout 2s\n"
                              "\t\tread_timeout 3s\n\t\twrite_timeout 4s\n\t\tcapture_stderr\n\t\tlb_policy first\n"
                              "\t\theader_up X-A b\n\t}\n"),
    "php_try_files": site("\tphp_fastcgi localhost:9000 {\n\t\ttry_files {path} {path}/index.php =404\n\t}\n"),
    "php_try_files_php": site("\tphp_fastcgi localhost:9000 {\n\t\ttry_files {path} index.php\n\t}\n"),
    "php_index_off": site("\tphp_fastcgi localhost:9000 {\n\t\tindex off\n\t}\n"),
    "php_bad_env": site("\tphp_fastcgi localhost:9000 {\n\t\tenv A\n\t}\n"),
    "php_bad_index": site("\tphp_fastcgi localhost:9000 {\n\t\tindex\n\t}\n"),
    "php_bad_timeout": site("\tphp_fastcgi localhost:9000 {\n\t\tdial_timeout x\n\t}\n"),
    "php_transport": site("\tphp_fastcgi localhost:9000 {\n\t\ttransport http\n\t}\n"),
    "php_handle_response": site("\tphp_fastcgi localhost:9000 {\n\t\t@ok status 200\n"
                                "\t\thandle_response @ok {\n\t\t\trespond x\n\t\t}\n\t}\n"),
    # forward_auth
    "fa_basic": site("\tforward_auth auth:9091 {\n\t\turi /api/verify?rd=https://x\n"
                     "\t\tcopy_headers Remote-User Remote-Groups>X-Groups\n\t}\n"),
    "fa_block_headers": site("\t@m path /x\n\tforward_auth @m auth:9091 {\n\t\turi /v\n\t\tcopy_headers {\n"
                             "\t\t\tA\n\t\t\tb>C\n\t\t}\n\t\theader_up Host {upstream_hostport}\n\t}\n"),
    "fa_no_uri": site("\tforward_auth auth:9091\n"),
    "fa_uri_twice": site("\tforward_auth auth:9091 {\n\t\turi /a\n\t\turi /b\n\t}\n"),
    "fa_no_headers": site("\tforward_auth auth:9091 {\n\t\turi /a\n\t\tcopy_headers\n\t}\n"),
    "fa_unknown": site("\tforward_auth auth:9091 {\n\t\turi /a\n\t\tnope\n\t}\n"),
}
