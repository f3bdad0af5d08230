import Testing
import TickbusMarket

@Suite("Exact oracle decimals")
struct ExactDecimalTests {
    @Test(arguments: [
        ("65000500000000000000000", "65000.5"), ("65000000000000000000000", "65000"),
        ("65245091651786417500000", "65245.0916517864175"), ("500000000000000000", "0.5"), ("1", "0.000000000000000001"),
        ("-1250000000000000000", "-1.25"), ("0", "0"), ("-0", "0"), ("000065000500000000000000000", "65000.5"),
        ("123456789012345678901234567890", "123456789012.34567890123456789"),
    ])
    func e18IntegersConvertExactlyWithoutTrailingZeros(integer: String, decimal: String) {
        #expect(ExactDecimal.fromE18(integer) == decimal)
    }

    @Test(arguments: ["", "-", "1.5", "1e18", "12a", " 1", "+1"])
    func e18RejectsWhatIsNotAnInteger(text: String) {
        #expect(ExactDecimal.fromE18(text) == nil)
    }

    @Test(arguments: [
        ("64120.70000000", "64120.70000000"), ("64120.7", "64120.7"), ("-0.25", "-0.25"), ("65000", "65000"),
        ("1.5e3", "1500"), ("1.25E-3", "0.00125"), ("-6.5e+4", "-65000"), ("12e0", "12"),
    ])
    func decimalsAreKeptDigitForDigitAndExponentsSpelledOut(text: String, plain: String) {
        #expect(ExactDecimal.decimal(text) == plain)
    }

    @Test(arguments: ["", "abc", "1.", ".5", "1e", "NaN", "--1"])
    func decimalRejectsWhatIsNotANumber(text: String) {
        #expect(ExactDecimal.decimal(text) == nil)
    }
}
