#include "http/fcgi_io.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>
#include <Poco/UUIDGenerator.h>

#include <cstring>
#include <string>

#include "common/log.h"
#include "http/error.h"

namespace ez::http {
namespace {

std::string param(FCGX_Request& f, const char* name) {
  const char* v = FCGX_GetParam(name, f.envp);
  return v ? v : "";
}

std::string reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

}  // namespace

std::string sanitize_request_id(const std::string& raw) {
  bool ok = !raw.empty() && raw.size() <= 128;
  for (char c : raw) {
    if (c < 0x21 || c > 0x7e) {
      ok = false;
      break;
    }
  }
  if (ok) return raw;
  // Header injection or junk: replace, don't echo.
  return Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
}

ReadResult read_request(FCGX_Request& f, int64_t max_body_bytes) {
  ReadResult out;
  Request& r = out.request;
  r.method = param(f, "REQUEST_METHOD");
  std::string uri = param(f, "REQUEST_URI");
  const auto q = uri.find('?');
  std::string raw_path = uri.substr(0, q);
  std::string raw_query = param(f, "QUERY_STRING");
  if (raw_query.empty() && q != std::string::npos) raw_query = uri.substr(q + 1);
  r.raw_path = raw_path;
  try {
    Poco::URI::decode(raw_path, r.path);
  } catch (const Poco::Exception&) {
    r.path = raw_path;
  }
  r.client_addr = param(f, "REMOTE_ADDR");
  for (char** e = f.envp; e && *e; ++e) {
    if (std::strncmp(*e, "HTTP_", 5) != 0) continue;
    const char* eq = std::strchr(*e, '=');
    if (!eq) continue;
    std::string name(static_cast<const char*>(*e + 5), eq);
    for (auto& c : name) c = c == '_' ? '-' : static_cast<char>(std::tolower(c));
    r.headers[name] = eq + 1;
  }
  if (auto ct = param(f, "CONTENT_TYPE"); !ct.empty()) r.headers["content-type"] = ct;
  r.request_id = sanitize_request_id(r.header("x-request-id").value_or(""));
  try {
    r.query = parse_query(raw_query);
  } catch (const ApiError&) {
    r.query.clear();
    out.bad_query = true;  // answered by the worker as 400
  }

  const std::string len_text = param(f, "CONTENT_LENGTH");
  const auto declared = parse_int64(len_text);
  if (declared && *declared > max_body_bytes) out.too_large = true;
  if (declared && *declared > 0 && !out.too_large) r.body.reserve(static_cast<size_t>(*declared));
  char buf[16384];
  for (;;) {
    int n = FCGX_GetStr(buf, sizeof buf, f.in);
    if (n <= 0) break;
    if (!out.too_large) {
      if (static_cast<int64_t>(r.body.size()) + n > max_body_bytes) {
        out.too_large = true;
        std::string().swap(r.body);
      } else {
        r.body.append(buf, static_cast<size_t>(n));
      }
    }
  }
  // End of stdin and a read error look alike to FCGX_GetStr; only the stream's error
  // tells a truncated body (the worker's read deadline, a client that went away) apart.
  if (FCGX_GetError(f.in) != 0) out.broken = true;
  return out;
}

void write_response(FCGX_Request& f, const Response& resp, const std::string& request_id) {
  std::string head;
  head.reserve(256);
  head += "Status: " + std::to_string(resp.status) + " " + reason(resp.status) + "\r\n";
  if (!resp.content_type.empty()) head += "Content-Type: " + resp.content_type + "\r\n";
  head += "X-Request-ID: " + request_id + "\r\n";
  for (const auto& [k, v] : resp.headers) head += k + ": " + v + "\r\n";
  if (resp.stream) {
    head += "\r\n";
    FCGX_PutStr(head.data(), static_cast<int>(head.size()), f.out);
    // FCGX buffers and flushes as it fills: memory stays constant however long the body.
    // A failed flush (EPIPE: nginx closed the connection because its client left) puts the
    // stream in error for good; every later piece would be dropped, so stop at once.
    const Response::Writer put = [&f](std::string_view piece) {
      if (FCGX_GetError(f.out) != 0) throw ClientGone{};
      if (piece.empty()) return;
      if (FCGX_PutStr(piece.data(), static_cast<int>(piece.size()), f.out) < 0 ||
          FCGX_GetError(f.out) != 0)
        throw ClientGone{};
    };
    try {
      resp.stream(put);
    } catch (const ClientGone&) {
      log::info("streamed response stopped: the client closed the connection");
    } catch (const std::exception& e) {
      log::error(std::string("streamed response failed: ") + e.what());
    }
    return;
  }
  head += "Content-Length: " + std::to_string(resp.body.size()) + "\r\n\r\n";
  FCGX_PutStr(head.data(), static_cast<int>(head.size()), f.out);
  if (!resp.body.empty()) FCGX_PutStr(resp.body.data(), static_cast<int>(resp.body.size()), f.out);
}

}  // namespace ez::http
