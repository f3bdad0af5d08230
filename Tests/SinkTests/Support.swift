import TickbusTestSupport
import Foundation
import Logging
import PostgresNIO
@testable import Sink
import TickbusKafka
import TickbusMarket
import TickbusPostgres

func snapshotJSON(source: String, instrument: String = "BTC-USDT", second: Int64, price: Double) -> String {
    """
    {"v":1,"type":"snapshot","source":"\(source)","instrument":"\(instrument)","second":\(second),"price":\(price),\
    "bid":\(price - 0.05),"ask":\(price + 0.05),"fresh":true,"ticks":2,"open":\(price),"high":\(price + 1),\
    "low":\(price - 1),"close":\(price),"age_ms":250,"price_usd":\(price),"fx":1,"fx_assumed":true}
    """
}

func windowJSON(source: String = "chainlink", instrument: String = "BTC-USD", start: Int64, open: Double, current: Double,
                asOf: Int64, final: Bool, resolution: Double? = nil) -> String {
    let side = current >= open ? "up" : "down"
    let resolved = resolution.map { $0 >= open ? "\"up\"" : "\"down\"" } ?? "null"
    return """
    {"v":1,"type":"window","source":"\(source)","instrument":"\(instrument)","window_start":\(start),"open":\(open),\
    "open_ts":\(start + 400_000),"open_delay_ms":400,"current":\(current),"current_ts":\(asOf - 300_000),\
    "high":\(max(open, current)),"low":\(min(open, current)),"ticks":10,"change":\(current - open),\
    "change_bps":\((current / open - 1) * 10_000),"side":"\(side)","seconds_left":\(max(0, (start + 900_000_000 - asOf) / 1_000_000)),\
    "resolution_price":\(resolution.map { "\($0)" } ?? "null"),"resolution_ts":\(resolution == nil ? "null" : "\(start + 900_500_000)"),\
    "resolved_side":\(resolved),"final":\(final),"complete":true,"max_gap_ms":1200,"as_of":\(asOf)}
    """
}

func spreadJSON(second: Int64, a: String, b: String, aPrice: Double, bPrice: Double) -> String {
    """
    {"v":1,"type":"spread","second":\(second),"base":"BTC","a":"\(a)","b":"\(b)","a_instrument":"BTC-USDT",\
    "b_instrument":"BTC-USD","a_price_usd":\(aPrice),"b_price_usd":\(bPrice),"diff_usd":\(aPrice - bPrice),\
    "bps":\((aPrice / bPrice - 1) * 10_000),"diff":null,"a_age_ms":100,"b_age_ms":200,"fx_assumed":false}
    """
}

func tickJSON(source: String = "binance", seq: Int, receive: Int64, venue: Int64? = nil, bid: String = "67000.10") -> String {
    """
    {"v":1,"source":"\(source)","instrument":"BTC-USDT","venue_symbol":"BTCUSDT","kind":"quote","bid":\(bid),\
    "bid_size":"1.50","ask":67000.2,"ask_size":0.003,"last":null,"ts_venue":\(venue.map(String.init) ?? "null"),\
    "ts_recv":\(receive),"conn":1,"seq":\(seq),"producer":"p-test"}
    """
}

/// A message as the consumer would hand it over.
func message(_ topic: String, _ json: String, offset: Int64, partition: Int32 = 0) -> KafkaConsumerMessage {
    KafkaConsumerMessage(topic: topic, partition: partition, offset: offset, key: nil, value: Array(json.utf8), timestamp: nil)
}
