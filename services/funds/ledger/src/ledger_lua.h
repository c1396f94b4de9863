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
// KEYS[3+1..3+T] transfer records, KEYS[3+T+1..3+T+A] accounts.
// ARGV[1] now (unix ms), ARGV[2] T, ARGV[3] A, ARGV[4] E, ARGV[5] batch id,
// then A x (account id, spec, open '1'/'0'),
// then T x (id, debit index, credit index, amount, pending '1'/'0', content,
//           code, memo, event id, event aggregate, event type, envelope),
// then E x (event id, aggregate, type, envelope).
inline constexpr char kBatch[] = R"lua(
local MAX = 9007199254740991
local function amount_ok(s)
  if not string.match(s, '^[1-9]%d*$') then return false end
  return #s < 16 or (#s == 16 and s <= '9007199254740991')
end
local function num(n) return string.format('%.0f', n) end
local T, A, E = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local now, batch = ARGV[1], ARGV[5]
local a = 6
local accts = {}
for i = 1, A do
  accts[i] = {id = ARGV[a], spec = ARGV[a + 1], open = ARGV[a + 2] == '1', key = KEYS[3 + T + i]}
  a = a + 3
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
if booked == T and T > 0 then
  local out = {'dup'}
  for i = 1, T do out[#out + 1] = redis.call('HGETALL', xs[i].key) end
  return out
end
if booked > 0 then
  for i = 1, T do
    if redis.call('EXISTS', xs[i].key) == 1 then return {'partial', xs[i].id} end
  end
end

-- 2. accounts exist (or are opened here) with the expected spec
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

-- 3. every leg in order, on copies of the balances
for i = 1, T do
  local x = xs[i]
  local amt = tonumber(x.amt)
  if x.pend then
    x.dr.pdr = x.dr.pdr + amt
    x.cr.pcr = x.cr.pcr + amt
  else
    x.dr.bal = x.dr.bal - amt
    x.cr.bal = x.cr.bal + amt
  end
  for _, ac in ipairs({x.dr, x.cr}) do
    if ac.bal > MAX or ac.bal < -MAX or ac.pdr > MAX or ac.pcr > MAX
       or ac.bal + ac.pcr > MAX or ac.bal - ac.pdr < -MAX then
      return {'bound', ac.id, x.id}
    end
    local avail = ac.bal - ac.pdr
    if avail < ac.low then ac.low = avail end
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
local out = {'ok'}
for i = 1, T do
  local x = xs[i]
  local dbal, cbal
  if x.pend then
    redis.call('HINCRBY', x.dr.key, 'pdr', x.amt)
    redis.call('HINCRBY', x.cr.key, 'pcr', x.amt)
    dbal = redis.call('HGET', x.dr.key, 'bal')
    cbal = redis.call('HGET', x.cr.key, 'bal')
  else
    dbal = num(redis.call('HINCRBY', x.dr.key, 'bal', '-' .. x.amt))
    cbal = num(redis.call('HINCRBY', x.cr.key, 'bal', x.amt))
  end
  redis.call('HSET', x.key, 'c', x.c, 'dr', x.dr.id, 'cr', x.cr.id, 'amt', x.amt,
             'pend', x.pend and '1' or '0', 'code', x.code, 'memo', x.memo, 'batch', batch,
             'st', x.pend and 'pending' or 'posted', 'at', now, 'dbal', dbal, 'cbal', cbal)
  redis.call('RPUSH', KEYS[2], x.id)
  redis.call('XADD', KEYS[1], '*', 'id', x.ev[1], 'agg', x.ev[2], 'type', x.ev[3], 'env', x.ev[4])
  out[#out + 1] = redis.call('HGETALL', x.key)
end
for i = 1, E do
  redis.call('XADD', KEYS[1], '*', 'id', ARGV[a], 'agg', ARGV[a + 1], 'type', ARGV[a + 2], 'env', ARGV[a + 3])
  a = a + 4
end
return out
)lua";

// KEYS[1] outbox, KEYS[2] transfer record, KEYS[3] debit account,
// KEYS[4] credit account.
// ARGV[1] 'post' or 'void', ARGV[2] now (unix ms), ARGV[3] debit account id,
// ARGV[4] credit account id, ARGV[5..8] event id, aggregate, type, envelope.
inline constexpr char kResolve[] = R"lua(
local MAX = 9007199254740991
local function num(n) return string.format('%.0f', n) end
local r = redis.call('HMGET', KEYS[2], 'st', 'pend', 'dr', 'cr', 'amt')
if not r[1] then return {'notfound'} end
if r[2] ~= '1' then return {'notpending', r[1]} end
local target = 'voided'
if ARGV[1] == 'post' then target = 'posted' end
if r[1] == target then return {'dup', redis.call('HGETALL', KEYS[2])} end
if r[1] ~= 'pending' then return {'resolved', r[1]} end
if r[3] ~= ARGV[3] or r[4] ~= ARGV[4] then return {'mismatch'} end
local amt = tonumber(r[5])
local d = redis.call('HMGET', KEYS[3], 'bal', 'pdr')
local c = redis.call('HMGET', KEYS[4], 'bal', 'pcr')
if not d[1] or not c[1] or tonumber(d[2]) < amt or tonumber(c[2]) < amt then
  return {'corrupt'}
end
if ARGV[1] == 'post' and (tonumber(d[1]) - amt < -MAX or tonumber(c[1]) + amt > MAX) then
  return {'bound'}
end
-- writes
redis.call('HINCRBY', KEYS[3], 'pdr', '-' .. r[5])
redis.call('HINCRBY', KEYS[4], 'pcr', '-' .. r[5])
local dbal, cbal = d[1], c[1]
if ARGV[1] == 'post' then
  dbal = num(redis.call('HINCRBY', KEYS[3], 'bal', '-' .. r[5]))
  cbal = num(redis.call('HINCRBY', KEYS[4], 'bal', r[5]))
end
redis.call('HSET', KEYS[2], 'st', target, 'rat', ARGV[2], 'rdbal', dbal, 'rcbal', cbal)
redis.call('XADD', KEYS[1], '*', 'id', ARGV[5], 'agg', ARGV[6], 'type', ARGV[7], 'env', ARGV[8])
return {'ok', redis.call('HGETALL', KEYS[2])}
)lua";

}  // namespace tane::funds::lua
