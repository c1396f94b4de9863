#pragma once
// The ledger's Lua scripts. Each one reads and checks everything first and
// writes only after the last check ("-- writes" below): Redis has no rollback.
//
// Numbers: amounts arrive as decimal strings, are checked against 2^53 - 1 as
// strings before tonumber(), and balances are changed with HINCRBY so Redis
// does the integer arithmetic. Lua numbers are used only for comparisons of
// values within ±(2^53 - 1) and sums of two of them, which are exact or round
// to a value >= 2^53 that still compares correctly. Numbers are written back
// with string.format('%.0f'), never tostring() (which rounds to 14 digits).

namespace tane::funds::lua {

// KEYS[1] account, KEYS[2] program's account index.
// ARGV[1] account id, ARGV[2] spec.
inline constexpr char kOpenAccount[] = R"lua(
local spec = redis.call('HGET', KEYS[1], 'spec')
if spec then
  if spec == ARGV[2] then return {'dup'} end
  return {'specconflict', ARGV[1], spec}
end
-- writes
redis.call('HSET', KEYS[1], 'spec', ARGV[2], 'bal', 0, 'pdr', 0, 'pcr', 0)
redis.call('SADD', KEYS[2], ARGV[1])
return {'ok'}
)lua";

// KEYS[1] outbox, KEYS[2] transfer log, KEYS[3] account index,
// KEYS[3+1..3+T] new transfer records, KEYS[3+T+1..3+T+R] records of the
// pending transfers to resolve, KEYS[3+T+R+1..3+T+R+A] accounts.
// ARGV[1] now (unix ms), ARGV[2] T, ARGV[3] A, ARGV[4] E, ARGV[5] batch id,
// ARGV[6] R,
// then A x (account id, spec, open '1'/'0', expected revision or ''),
// then T x (id, debit index, credit index, amount, pending '1'/'0', content,
//           code, memo, event id, event aggregate, event type, envelope),
// then R x (id, debit index, credit index, 'post'/'void', event id,
//           event aggregate, event type, envelope),
// then E x (event id, aggregate, type, envelope).
//
// Resolutions apply before the new transfers (a void frees money a new
// reservation may use). A resolution whose transfer is already resolved the
// same way is a no-op; a batch in which everything is a no-op is 'dup'.
//
// Revisions: an account's "rev" (absent = 0) goes up by one in every batch
// that changes its bal, pdr or pcr; an expected revision that differs is
// 'stale' (checked after the idempotency check, before anything is written).
//
// Turnover: every posted amount is also added to the debit account's
// "dr:<code>" and the credit account's "cr:<code>", so reports read money
// flows by purpose from the accounts alone. Turnovers stay within 2^53 - 1
// like balances ('bound' otherwise).
inline constexpr char kBatch[] = R"lua(
local MAX = 9007199254740991
local function amount_ok(s)
  if not string.match(s, '^[1-9]%d*$') then return false end
  return #s < 16 or (#s == 16 and s <= '9007199254740991')
end
local function num(n) return string.format('%.0f', n) end
local T, A, E, R = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[6])
local now, batch = ARGV[1], ARGV[5]
local a = 7
local accts = {}
for i = 1, A do
  accts[i] = {id = ARGV[a], spec = ARGV[a + 1], open = ARGV[a + 2] == '1', rev = ARGV[a + 3],
              key = KEYS[3 + T + R + i], turn = {}}
  a = a + 4
end
local xs = {}
for i = 1, T do
  local x = {id = ARGV[a], dr = accts[tonumber(ARGV[a + 1])], cr = accts[tonumber(ARGV[a + 2])],
             amt = ARGV[a + 3], pend = ARGV[a + 4] == '1', c = ARGV[a + 5], code = ARGV[a + 6],
             memo = ARGV[a + 7], ev = {ARGV[a + 8], ARGV[a + 9], ARGV[a + 10], ARGV[a + 11]},
             key = KEYS[3 + i]}
  a = a + 12
  if not x.dr or not x.cr or x.dr == x.cr then return {'invalid', x.id, 'accounts'} end
  if not amount_ok(x.amt) then return {'invalid', x.id, 'amount'} end
  xs[i] = x
end
local rs = {}
for i = 1, R do
  local r = {id = ARGV[a], dr = accts[tonumber(ARGV[a + 1])], cr = accts[tonumber(ARGV[a + 2])],
             post = ARGV[a + 3] == 'post', ev = {ARGV[a + 4], ARGV[a + 5], ARGV[a + 6], ARGV[a + 7]},
             key = KEYS[3 + T + i]}
  a = a + 8
  if not r.dr or not r.cr or r.dr == r.cr then return {'invalid', r.id, 'accounts'} end
  rs[i] = r
end
local function records(tag)
  local out = {tag}
  for i = 1, T do out[#out + 1] = redis.call('HGETALL', xs[i].key) end
  for i = 1, R do out[#out + 1] = redis.call('HGETALL', rs[i].key) end
  return out
end

-- 1. idempotency: all booked with this content -> the stored records;
-- none booked -> go on; anything else is a conflict.
local booked = 0
for i = 1, T do
  local c = redis.call('HGET', xs[i].key, 'c')
  if c then
    if c ~= xs[i].c then return {'conflict', xs[i].id, c} end
    booked = booked + 1
  end
end
if booked == T and T > 0 then return records('dup') end
if booked > 0 then
  for i = 1, T do
    if redis.call('EXISTS', xs[i].key) == 1 then return {'partial', xs[i].id} end
  end
end

-- 2. the pending transfers to resolve: still pending, or already resolved
-- the same way (skipped)
local todo = 0
for i = 1, R do
  local r = rs[i]
  local v = redis.call('HMGET', r.key, 'st', 'pend', 'dr', 'cr', 'amt', 'code')
  if not v[1] then return {'xnotfound', r.id} end
  if v[2] ~= '1' then return {'notpending', r.id, v[1]} end
  local target = 'voided'
  if r.post then target = 'posted' end
  if v[1] == target then
    r.skip = true
  elseif v[1] ~= 'pending' then
    return {'resolved', r.id, v[1]}
  elseif v[3] ~= r.dr.id or v[4] ~= r.cr.id then
    return {'mismatch', r.id}
  else
    r.amt, r.code, r.target = v[5], v[6], target
    todo = todo + 1
  end
end
if T == 0 and todo == 0 then return records('dup') end

-- 2b. optimistic concurrency: the revisions the caller decided on
for i = 1, A do
  local ac = accts[i]
  if ac.rev ~= '' then
    local rev = redis.call('HGET', ac.key, 'rev') or '0'
    if rev ~= ac.rev then return {'stale', ac.id, ac.rev, rev} end
  end
end

-- 3. accounts exist (or are opened here) with the expected spec
for i = 1, A do
  local ac = accts[i]
  local v = redis.call('HMGET', ac.key, 'spec', 'bal', 'pdr', 'pcr')
  if not v[1] then
    if not ac.open then return {'notfound', ac.id} end
    ac.create, ac.bal, ac.pdr, ac.pcr = true, 0, 0, 0
  else
    if ac.open and v[1] ~= ac.spec then return {'specconflict', ac.id, v[1]} end
    ac.spec = v[1]
    ac.bal, ac.pdr, ac.pcr = tonumber(v[2]), tonumber(v[3]), tonumber(v[4])
  end
  ac.nn = string.sub(ac.spec, 1, 1) == '1'
  ac.start = ac.bal - ac.pdr
  ac.low = ac.start
end

-- 4. every resolution, then every leg in order, on copies of the balances
local function in_bounds(ac)
  if ac.bal > MAX or ac.bal < -MAX or ac.pdr > MAX or ac.pcr > MAX
     or ac.bal + ac.pcr > MAX or ac.bal - ac.pdr < -MAX then
    return false
  end
  local avail = ac.bal - ac.pdr
  if avail < ac.low then ac.low = avail end
  return true
end
local function add_turnover(ac, field, amt)
  if ac.turn[field] == nil then
    local v = nil
    if not ac.create then v = redis.call('HGET', ac.key, field) end
    ac.turn[field] = tonumber(v or '0')
  end
  ac.turn[field] = ac.turn[field] + amt
  return ac.turn[field] <= MAX
end
local function post(dr, cr, amt, code, id)
  dr.bal = dr.bal - amt
  cr.bal = cr.bal + amt
  if not add_turnover(dr, 'dr:' .. code, amt) then return {'bound', dr.id, id} end
  if not add_turnover(cr, 'cr:' .. code, amt) then return {'bound', cr.id, id} end
  return nil
end
for i = 1, R do
  local r = rs[i]
  if not r.skip then
    local amt = tonumber(r.amt)
    r.dr.touched, r.cr.touched = true, true
    if r.dr.pdr < amt or r.cr.pcr < amt then return {'corrupt', r.id} end
    r.dr.pdr = r.dr.pdr - amt
    r.cr.pcr = r.cr.pcr - amt
    if r.post then
      local err = post(r.dr, r.cr, amt, r.code, r.id)
      if err then return err end
    end
    for _, ac in ipairs({r.dr, r.cr}) do
      if not in_bounds(ac) then return {'bound', ac.id, r.id} end
    end
  end
end
for i = 1, T do
  local x = xs[i]
  local amt = tonumber(x.amt)
  x.dr.touched, x.cr.touched = true, true
  if x.pend then
    x.dr.pdr = x.dr.pdr + amt
    x.cr.pcr = x.cr.pcr + amt
  else
    local err = post(x.dr, x.cr, amt, x.code, x.id)
    if err then return err end
  end
  for _, ac in ipairs({x.dr, x.cr}) do
    if not in_bounds(ac) then return {'bound', ac.id, x.id} end
  end
end
local short = {'insufficient'}
for i = 1, A do
  local ac = accts[i]
  if ac.nn and ac.low < 0 then
    short[#short + 1] = ac.id
    short[#short + 1] = num(ac.start)
    short[#short + 1] = num(-ac.low)
  end
end
if #short > 1 then return short end

-- writes
for i = 1, A do
  local ac = accts[i]
  if ac.create then
    redis.call('HSET', ac.key, 'spec', ac.spec, 'bal', 0, 'pdr', 0, 'pcr', 0)
    redis.call('SADD', KEYS[3], ac.id)
  end
end
local function write_post(dr, cr, amt, code)
  local dbal = num(redis.call('HINCRBY', dr.key, 'bal', '-' .. amt))
  local cbal = num(redis.call('HINCRBY', cr.key, 'bal', amt))
  redis.call('HINCRBY', dr.key, 'dr:' .. code, amt)
  redis.call('HINCRBY', cr.key, 'cr:' .. code, amt)
  return dbal, cbal
end
for i = 1, R do
  local r = rs[i]
  if not r.skip then
    redis.call('HINCRBY', r.dr.key, 'pdr', '-' .. r.amt)
    redis.call('HINCRBY', r.cr.key, 'pcr', '-' .. r.amt)
    local dbal, cbal
    if r.post then
      dbal, cbal = write_post(r.dr, r.cr, r.amt, r.code)
    else
      dbal = redis.call('HGET', r.dr.key, 'bal')
      cbal = redis.call('HGET', r.cr.key, 'bal')
    end
    redis.call('HSET', r.key, 'st', r.target, 'rat', now, 'rdbal', dbal, 'rcbal', cbal)
    redis.call('XADD', KEYS[1], '*', 'id', r.ev[1], 'agg', r.ev[2], 'type', r.ev[3], 'env', r.ev[4])
  end
end
for i = 1, T do
  local x = xs[i]
  local dbal, cbal
  if x.pend then
    redis.call('HINCRBY', x.dr.key, 'pdr', x.amt)
    redis.call('HINCRBY', x.cr.key, 'pcr', x.amt)
    dbal = redis.call('HGET', x.dr.key, 'bal')
    cbal = redis.call('HGET', x.cr.key, 'bal')
  else
    dbal, cbal = write_post(x.dr, x.cr, x.amt, x.code)
  end
  redis.call('HSET', x.key, 'c', x.c, 'dr', x.dr.id, 'cr', x.cr.id, 'amt', x.amt,
             'pend', x.pend and '1' or '0', 'code', x.code, 'memo', x.memo, 'batch', batch,
             'st', x.pend and 'pending' or 'posted', 'at', now, 'dbal', dbal, 'cbal', cbal)
  redis.call('RPUSH', KEYS[2], x.id)
  redis.call('XADD', KEYS[1], '*', 'id', x.ev[1], 'agg', x.ev[2], 'type', x.ev[3], 'env', x.ev[4])
end
for i = 1, A do
  if accts[i].touched then redis.call('HINCRBY', accts[i].key, 'rev', 1) end
end
for i = 1, E do
  redis.call('XADD', KEYS[1], '*', 'id', ARGV[a], 'agg', ARGV[a + 1], 'type', ARGV[a + 2], 'env', ARGV[a + 3])
  a = a + 4
end
return records('ok')
)lua";

}  // namespace tane::funds::lua
