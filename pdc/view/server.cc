// The view's HTTP and WebSocket server: Boost.Beast on one Asio thread of its own.
// Static files come from memory (assets.h); /ws is the live feed; /api/state is the
// same information as one JSON document for scripts. Bound to loopback only, and
// requests must name the server by a loopback Host (and a WebSocket's Origin must be
// the page itself), so another web site open in the same browser cannot read the
// stream through DNS rebinding or a cross-site WebSocket.
// Beast's string_view as std::string_view (Boost 1.74 has its own otherwise).
#define BOOST_BEAST_USE_STD_STRING_VIEW 1
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <iostream>
#include <thread>

#include "archive/record.h"
#include "assets.h"
#include "feed.h"
#include "messages.h"
#include "net.h"
#include "view.h"

namespace pmu::pdc::view {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto kTick = 50ms;           // sets go to the pages this often
constexpr int kStatusEveryTicks = 5;   // and the status every 250 ms
constexpr std::size_t kMaxQueued = 32; // messages waiting for a slow page before sets are skipped
constexpr std::size_t kMaxPages = 16;

class Server;

class Page : public std::enable_shared_from_this<Page> {
 public:
  Page(tcp::socket socket, Server& server) : ws_(std::move(socket)), server_(server) {}
  void Start(http::request<http::string_body> request);
  // `droppable`: a sets message may be skipped for a page that does not keep up.
  void Send(std::shared_ptr<const std::string> message, bool droppable);
  unsigned decimate() const { return decimate_; }
  void Close() {
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
  }

 private:
  void Read();
  void Write();

  websocket::stream<beast::tcp_stream> ws_;
  Server& server_;
  beast::flat_buffer input_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  unsigned decimate_ = 1;
  bool open_ = false;
};

class Server {
 public:
  Server(Feed& feed, std::vector<observe::Source> sources, unsigned port, std::string tool)
      : feed_(feed), sources_(std::move(sources)), tool_(std::move(tool)), configs_(sources_.size()) {
    Listen(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)), true);
    port_ = acceptors_.front().local_endpoint().port();
    Listen(tcp::endpoint(asio::ip::make_address("::1"), port_), false);  // where the host has IPv6
    config_message_ = std::make_shared<std::string>(ConfigMessage(sources_, configs_, 0));
    Tick();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Server() {
    asio::post(io_, [this] {
      for (auto& a : acceptors_) a.close();
      for (auto& p : pages_) p->Close();
      timer_.cancel();
    });
    io_.stop();
    thread_.join();
    pages_.clear();
  }

  unsigned short port() const { return port_; }
  bool HostAllowed(std::string_view host) const {
    const std::string p = ":" + std::to_string(port_);
    return host == "localhost" + p || host == "127.0.0.1" + p || host == "[::1]" + p;
  }
  bool OriginAllowed(std::string_view origin) const {
    if (origin.empty()) return true;  // not a browser
    for (const char* prefix : {"http://", "https://"}) {
      const std::string_view pre(prefix);
      if (origin.substr(0, pre.size()) == pre && HostAllowed(origin.substr(pre.size()))) return true;
    }
    return false;
  }

  void Join(const std::shared_ptr<Page>& page) {
    if (pages_.size() >= kMaxPages) {
      page->Close();
      return;
    }
    pages_.push_back(page);
    feed_.SetViewers(static_cast<int>(pages_.size()));
    page->Send(config_message_, false);
    if (status_message_) page->Send(status_message_, false);
  }
  void Leave(Page* page) {
    std::erase_if(pages_, [page](const std::shared_ptr<Page>& p) { return p.get() == page; });
    feed_.SetViewers(static_cast<int>(pages_.size()));
  }

  http::response<http::string_body> Respond(const http::request<http::string_body>& req) const;

 private:
  void Listen(const tcp::endpoint& at, bool required) {
    tcp::acceptor a(io_);
    beast::error_code ec;
    a.open(at.protocol(), ec);
    if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec && at.address().is_v6()) a.set_option(asio::ip::v6_only(true), ec);
    if (!ec) a.bind(at, ec);
    if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      if (required) throw NetError("the view cannot listen on " + at.address().to_string() + " port " +
                                   std::to_string(at.port()) + ": " + ec.message() + " (choose another --http PORT)");
      return;
    }
    acceptors_.push_back(std::move(a));
    Accept(acceptors_.back());
  }
  void Accept(tcp::acceptor& a);
  void Tick();
  void Publish();

  Feed& feed_;
  std::vector<observe::Source> sources_;
  std::string tool_;
  asio::io_context io_{1};
  asio::steady_timer timer_{io_};
  std::deque<tcp::acceptor> acceptors_;
  unsigned short port_ = 0;
  std::vector<std::shared_ptr<Page>> pages_;
  // The web thread's own copies.
  std::vector<SourceConfig> configs_;
  std::uint64_t config_version_ = 0;
  Feed::Taken taken_;
  std::unique_ptr<p::DataFrame> scratch_ = std::make_unique<p::DataFrame>();
  std::vector<SetValues> sets_;
  std::shared_ptr<const std::string> config_message_, status_message_;
  std::string state_json_ = "{}";
  int ticks_ = 0;
  std::thread thread_;
};

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket socket, Server& server) : stream_(std::move(socket)), server_(server) {}
  void Read() {
    request_ = {};
    stream_.expires_after(30s);
    http::async_read(stream_, input_, request_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnRequest(ec); });
  }

 private:
  void OnRequest(beast::error_code ec) {
    if (ec) return;  // closed, timed out or not HTTP: nothing to answer
    if (websocket::is_upgrade(request_)) {
      const bool ok = request_.target() == "/ws" && server_.HostAllowed(request_[http::field::host]) &&
                      server_.OriginAllowed(request_[http::field::origin]);
      if (ok) {
        stream_.expires_never();
        std::make_shared<Page>(stream_.release_socket(), server_)->Start(std::move(request_));
        return;
      }
    }
    auto response = std::make_shared<http::response<http::string_body>>(server_.Respond(request_));
    http::async_write(stream_, *response,
                      [self = shared_from_this(), response](beast::error_code wec, std::size_t) {
                        if (wec || response->need_eof()) {
                          beast::error_code ignored;
                          self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                          return;
                        }
                        self->Read();
                      });
  }

  beast::tcp_stream stream_;
  Server& server_;
  beast::flat_buffer input_;
  http::request<http::string_body> request_;
};

void Page::Start(http::request<http::string_body> request) {
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "pdc c37 view"); }));
  ws_.read_message_max(4096);
  ws_.async_accept(request, [self = shared_from_this()](beast::error_code ec) {
    if (ec) return;
    self->open_ = true;
    self->server_.Join(self);
    self->Read();
  });
}

void Page::Read() {
  ws_.async_read(input_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) {
      self->open_ = false;
      self->server_.Leave(self.get());
      return;
    }
    const std::string text = beast::buffers_to_string(self->input_.data());
    self->input_.consume(self->input_.size());
    try {
      self->decimate_ = ParseClientCommand(text).decimate;
    } catch (const std::invalid_argument& e) {
      // The page is ours; anything else talking to the socket learns what it did wrong.
      self->Send(std::make_shared<const std::string>(std::string("{\"type\": \"error\", \"error\": ") +
                                                     [&] {
                                                       std::string s;
                                                       archive::AppendJsonString(s, e.what());
                                                       return s;
                                                     }() +
                                                     "}"),
                 false);
    }
    self->Read();
  });
}

void Page::Send(std::shared_ptr<const std::string> message, bool droppable) {
  if (!open_) return;
  if (droppable && queue_.size() >= kMaxQueued) return;
  queue_.push_back(std::move(message));
  if (queue_.size() == 1) Write();
}

void Page::Write() {
  ws_.text(true);
  ws_.async_write(asio::buffer(*queue_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) {
      self->open_ = false;
      self->server_.Leave(self.get());
      return;
    }
    self->queue_.pop_front();
    if (!self->queue_.empty()) self->Write();
  });
}

void Server::Accept(tcp::acceptor& a) {
  a.async_accept([this, &a](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !a.is_open()) return;
    if (!ec) std::make_shared<HttpSession>(std::move(socket), *this)->Read();
    Accept(a);
  });
}

http::response<http::string_body> Server::Respond(const http::request<http::string_body>& req) const {
  http::response<http::string_body> res;
  res.version(req.version());
  res.keep_alive(req.keep_alive());
  res.set(http::field::server, "pdc c37 view");
  res.set(http::field::cache_control, "no-store");
  auto text = [&](http::status status, std::string body) {
    res.result(status);
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
  };
  if (!HostAllowed(req[http::field::host])) {
    return text(http::status::misdirected_request, "this server answers to localhost:" + std::to_string(port_) + " only\n");
  }
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    return text(http::status::method_not_allowed, "GET only\n");
  }
  const std::string_view target(req.target().data(), req.target().size());
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/api/state") {
    res.result(http::status::ok);
    res.set(http::field::content_type, "application/json");
    res.body() = state_json_;
    res.prepare_payload();
    return res;
  }
  for (const Asset& a : Assets()) {
    if (a.path != path) continue;
    res.result(http::status::ok);
    res.set(http::field::content_type, a.content_type);
    // Everything the page uses comes from here.
    res.set("Content-Security-Policy",
            "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'");
    if (req.method() == http::verb::get) res.body() = std::string(a.body);
    res.prepare_payload();
    if (req.method() == http::verb::head) res.content_length(a.body.size());
    return res;
  }
  return text(http::status::not_found, "no such page: the view is at /\n");
}

void Server::Tick() {
  timer_.expires_after(kTick);
  timer_.async_wait([this](beast::error_code ec) {
    if (ec) return;
    Publish();
    Tick();
  });
}

void Server::Publish() {
  feed_.Take(config_version_, taken_);
  int rate = taken_.rate;
  if (taken_.config_version != config_version_) {
    config_version_ = taken_.config_version;
    for (std::size_t i = 0; i < configs_.size(); ++i) {
      SourceConfig& c = configs_[i];
      if (taken_.configs[i].empty() || taken_.configs[i] == c.bytes) continue;
      auto frame = std::make_unique<p::ConfigFrame>();
      c.bytes = taken_.configs[i];
      c.frame = p::DecodeConfig(std::span<const std::byte>(c.bytes), *frame).ok() ? std::move(frame) : nullptr;
    }
  }
  for (const auto& c : configs_) {
    if (rate == 0 && c.frame) rate = c.frame->data_rate > 0 ? c.frame->data_rate : 1;
  }
  if (taken_.config_version == config_version_ && !taken_.configs.empty()) {
    config_message_ = std::make_shared<const std::string>(ConfigMessage(sources_, configs_, rate));
    for (auto& page : pages_) page->Send(config_message_, false);
    taken_.configs.clear();
  }
  // Decode the sets once for every page.
  sets_.clear();
  std::size_t at = 0;
  const auto& raw = taken_.sets;
  while (at + sizeof(Feed::SetHeader) <= raw.size()) {
    Feed::SetHeader h;
    std::memcpy(&h, raw.data() + at, sizeof(h));
    at += sizeof(h);
    SetValues v;
    v.key = h.key;
    v.time_us = h.rate > 0 ? archive::SetTimeUs(h.key, h.rate) : 0;
    for (std::uint32_t k = 0; k < h.present && at + sizeof(Feed::SourceHeader) <= raw.size(); ++k) {
      Feed::SourceHeader s;
      std::memcpy(&s, raw.data() + at, sizeof(s));
      at += sizeof(s);
      const std::span<const std::byte> frame(raw.data() + at, s.size);
      at += (s.size + 7u) & ~std::size_t{7};
      SetValues::Pmu m;
      if (s.source < configs_.size() && DecodeForView(s.source, frame, configs_[s.source], *scratch_, m)) {
        v.pmus.push_back(std::move(m));
      }
    }
    sets_.push_back(std::move(v));
  }
  if (!sets_.empty()) {
    // One message per decimation the pages asked for.
    std::vector<std::pair<unsigned, std::shared_ptr<const std::string>>> built;
    for (auto& page : pages_) {
      auto it = std::find_if(built.begin(), built.end(), [&](const auto& b) { return b.first == page->decimate(); });
      if (it == built.end()) {
        built.emplace_back(page->decimate(), std::make_shared<const std::string>(SetsMessage(sets_, page->decimate())));
        it = built.end() - 1;
      }
      page->Send(it->second, true);
    }
  }
  if (++ticks_ % kStatusEveryTicks != 0 && status_message_) return;
  const std::int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::steady_clock::now().time_since_epoch()).count();
  std::vector<SourceStatus> status(sources_.size());
  for (std::size_t i = 0; i < status.size(); ++i) {
    status[i].counters = taken_.counters[i];
    const std::int64_t last = taken_.last_data_ns[i];
    status[i].age_ms = last < 0 ? -1 : (now_ns - last) / 1'000'000;
    status[i].link_down = taken_.link_down_ns[i] >= 0 && taken_.link_down_ns[i] > last;
    status[i].error = taken_.errors[i];
  }
  status_message_ = std::make_shared<const std::string>(
      StatusMessage(status, configs_, rate, taken_.sets_total, archive::NowUtcUs()));
  for (auto& page : pages_) page->Send(status_message_, false);
  state_json_ = "{\"config\": " + *config_message_ + ", \"status\": " + *status_message_ + "}\n";
}

class ViewObserver final : public observe::Observer {
 public:
  ViewObserver(unsigned port, const std::vector<observe::Source>& sources, const std::string& tool)
      : feed_(sources.size()), server_(std::make_unique<Server>(feed_, sources, port, tool)) {
    std::cerr << tool << ": the live view is at http://localhost:" << server_->port() << "/\n";
  }
  ~ViewObserver() override { Finish(); }

  void OnConfig(std::size_t source, std::span<const std::byte> frame, std::int64_t) override { feed_.Config(source, frame); }
  void OnData(std::size_t source, std::span<const std::byte>, observe::Arrival, std::int64_t now_ns) override {
    feed_.Data(source, now_ns);
  }
  void OnSet(const c37::AlignedSet& set, int rate) override { feed_.Set(set, rate); }
  void OnLinkDown(std::size_t source, std::string_view why, std::int64_t now_ns) override {
    feed_.LinkDown(source, why, now_ns);
  }
  void OnCounters(std::size_t source, const observe::SourceCounters& counters) override {
    feed_.Counters(source, counters);
  }
  void Finish() override { server_.reset(); }

 private:
  Feed feed_;
  std::unique_ptr<Server> server_;
};

}  // namespace

std::unique_ptr<observe::Observer> StartView(unsigned port, const std::vector<observe::Source>& sources,
                                             const std::string& tool) {
  return std::make_unique<ViewObserver>(port, sources, tool);
}

}  // namespace pmu::pdc::view
