-- wrk driver for benches/load.sh: one kind of request per run (BELLMAP_LOAD_KIND), its points
-- taken in turn from BELLMAP_LOAD_POINTS (lat,lon lines), and one RESULT line at the end.
local kind = os.getenv("BELLMAP_LOAD_KIND") or "health"
local points = {}
for line in io.lines(os.getenv("BELLMAP_LOAD_POINTS")) do
  local lat, lon = line:match("^([^,]+),([^,]+)$")
  points[#points + 1] = { tonumber(lat), tonumber(lon) }
end

local i = 0
local json = { ["Content-Type"] = "application/json" }

request = function()
  i = i % #points + 1
  local lat, lon = points[i][1], points[i][2]
  if kind == "health" then
    return wrk.format("GET", "/health")
  elseif kind == "nearest" then
    return wrk.format("GET", string.format("/v1/providers/nearest?lat=%.5f&lon=%.5f&k=10", lat, lon))
  elseif kind == "nearest_fields" then
    -- The same, with only what a list of results shows.
    return wrk.format("GET", string.format(
      "/v1/providers/nearest?lat=%.5f&lon=%.5f&k=10&fields=id,name,lat,lon,distance_m,phone", lat, lon))
  elseif kind == "nearest_ids" then
    -- Ids and distances only: what a PostGIS kNN query returns (benches/peers.sh).
    return wrk.format("GET", string.format(
      "/v1/providers/nearest?lat=%.5f&lon=%.5f&k=10&fields=id,distance_m", lat, lon))
  elseif kind == "viewport" then
    -- A city on a phone: about 20 km across, the first page of 100.
    return wrk.format("GET", string.format("/v1/providers?bbox=%.4f,%.4f,%.4f,%.4f&limit=100",
      lon - 0.1, lat - 0.1, lon + 0.1, lat + 0.1))
  elseif kind == "clusters" then
    -- A state-sized map at zoom 7.
    return wrk.format("GET", string.format("/v1/clusters?bbox=%.4f,%.4f,%.4f,%.4f&zoom=7",
      lon - 3, lat - 2, lon + 3, lat + 2))
  elseif kind == "search" then
    local body = string.format('{"near": {"lat": %.5f, "lon": %.5f}, "k": 10, "category": ["shelter"]}', lat, lon)
    return wrk.format("POST", "/v1/providers/search", json, body)
  end
  error("unknown BELLMAP_LOAD_KIND " .. kind)
end

-- Non-2xx answers are counted by wrk itself (summary.errors.status); no response() hook,
-- which would run Lua for every answer and slow the driver.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %s requests=%d bytes=%d duration_us=%d p50_us=%d p99_us=%d errors=%d\n",
    kind, summary.requests, summary.bytes, summary.duration, latency:percentile(50),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout + e.status))
end
