// parseJsonLimited / describeJson: nesting refused at the limit while parsing (100,000 levels overflowed
// the stack in nlohmann's copy and dump), the refused value named by its keys, messages short and escaped.

#include "error.h"
#include "jsonlimits.h"
#include "sizecheck.h"

#include <QtTest>

#include <cstdint>
#include <string>
#include <vector>

using namespace gsn;
using nlohmann::json;

namespace {

std::string nested(int levels)
{
    return std::string(std::size_t(levels), '[') + std::string(std::size_t(levels), ']');
}

std::string errorOf(const std::string& text, const std::string& field)
{
    try {
        (void)parseJsonLimited(text, "f.json", field);
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

} // namespace

class TestJsonLimits : public QObject {
    Q_OBJECT

private slots:
    void depthUpToTheLimitIsAccepted()
    {
        const json v = parseJsonLimited(nested(kMaxJsonDepth), "f.json", "x");
        QVERIFY(v.is_array());
        QCOMPARE(QString::fromStdString(v.dump()), QString::fromStdString(nested(kMaxJsonDepth)));
        const json o = parseJsonLimited(R"({"a":)" + nested(kMaxJsonDepth - 1) + "}", "f.json", "x");
        QVERIFY(o.is_object());
    }

    void deeperIsRefusedNamingTheKeys()
    {
        QCOMPARE(errorOf(nested(kMaxJsonDepth + 1), "x"), std::string("f.json: x: JSON nested deeper than 64 levels"));
        QCOMPARE(errorOf(nested(100000), "__metadata__.trained"),
                 std::string("f.json: __metadata__.trained: JSON nested deeper than 64 levels"));
        QCOMPARE(errorOf(R"({"a": 1, "b": [{"c": )" + nested(100000) + "}]}", ""),
                 std::string("f.json: b.c: JSON nested deeper than 64 levels"));
        QCOMPARE(errorOf(R"({"a": {"k": 1}, "b": )" + nested(100000) + "}", "h"),
                 std::string("f.json: h.b: JSON nested deeper than 64 levels"));
        // Deep objects too, not only arrays.
        std::string objects;
        for (int i = 0; i < 100000; ++i)
            objects += R"({"k":)";
        objects += "1" + std::string(100000, '}');
        QVERIFY(errorOf(objects, "x").find("x.k.k.k") != std::string::npos);
        QVERIFY(errorOf(objects, "x").size() < 5000);
    }

    void invalidJson()
    {
        QVERIFY(!tryParseJsonLimited("tiny", "f.json", "x"));
        const std::string m = errorOf("{\"a\": \xff\xfe" + std::string(100000, 'x'), "x");
        QVERIFY2(m.rfind("f.json: x: expected valid JSON (", 0) == 0, m.c_str());
        QVERIFY2(m.find('\xff') == std::string::npos, m.c_str());
        QVERIFY2(m.size() < 400, m.c_str());
        // A number beyond double's range is nlohmann's out_of_range, not a parse_error (found by fuzz_json; its
        // input is tests/fuzz/regressions/json/number-overflow.json): still a gsn::Error naming the field.
        const std::string big = errorOf("{\"d\": -1.5e340}", "x");
        QVERIFY2(big.rfind("f.json: x: expected valid JSON (", 0) == 0 && big.find("overflow") != std::string::npos, big.c_str());
    }

    void describeIsShortAndEscaped()
    {
        QCOMPARE(describeJson(json(3)), std::string("3"));
        QCOMPARE(describeJson(json()), std::string("null"));
        QCOMPARE(describeJson(json::array({1, 2})), std::string("[1,2]"));
        QCOMPARE(describeJson(json("a\x01\xff")), std::string("\"a\\u0001\\ufffd\""));
        const std::string m = describeJson(json(std::vector<int>(5000, 1)));
        std::string prefix = "[";
        while (prefix.size() < 60)
            prefix += prefix.size() % 2 ? "1" : ",";
        QCOMPARE(m, "an array " + prefix + "... (10001 characters)");
        QVERIFY(describeJson(json(std::string(20000000, 'F'))).size() < 100);
    }

    // Issue 12, found item 7: duplicate keys and a byte-order mark are refused, naming the key.
    void duplicateKeysAndBomAreRefused()
    {
        QVERIFY_THROWS_EXCEPTION(gsn::Error, gsn::parseJsonLimited(R"({"a":1,"a":2})", "f", ""));
        try {
            gsn::parseJsonLimited(R"({"x":{"k":1,"j":2,"k":3}})", "f.json", "meta");
            QFAIL("duplicate key accepted");
        } catch (const gsn::Error& e) {
            QCOMPARE(std::string(e.what()),
                     std::string("f.json: meta.x.k: expected each key once in its object, got it twice (which one counts is ambiguous)"));
        }
        // The same key in different objects, and in sibling objects of an array, is fine.
        QCOMPARE(gsn::parseJsonLimited(R"({"a":{"k":1},"b":{"k":2},"c":[{"k":1},{"k":2}]})", "f", "")["b"]["k"], 2);
        QVERIFY(!gsn::tryParseJsonLimited("\xEF\xBB\xBF{}", "f", ""));
        try {
            gsn::parseJsonLimited("\xEF\xBB\xBF{}", "f", "header");
            QFAIL("BOM accepted");
        } catch (const gsn::Error& e) {
            QVERIFY2(std::string(e.what()).find("f: header: expected JSON starting with '{'") == 0, e.what());
        }
    }

    // Issue 12, found item 5: user values in messages are cut and escaped.
    void quoteValueCutsAndEscapes()
    {
        QCOMPARE(gsn::quoteValue("F32"), std::string("'F32'"));
        QCOMPARE(gsn::quoteValue("a\xFF\n'b"), std::string("'a\\xFF\\n\\'b'"));
        const std::string big(20'000'000, 'F');
        QCOMPARE(gsn::quoteValue(big), "'" + std::string(64, 'F') + "'... (20000000 bytes)");
        QCOMPARE(gsn::fieldName("W0"), std::string("W0"));
        QCOMPARE(gsn::fieldName(std::string(100, 'n')), "'" + std::string(64, 'n') + "'... (100 bytes)");
        QCOMPARE(gsn::fieldName("a b\x01"), std::string("'a b\\x01'"));
    }

    // Issue 12, found item 2: products of header sizes never overflow.
    void checkedProductRefusesOverflow()
    {
        using V = std::vector<std::int64_t>;
        QCOMPARE(gsn::productAtMost(V{3, 4, 5}, 60).value(), std::uint64_t(60));
        QVERIFY(!gsn::productAtMost(V{3, 4, 5}, 59));
        QVERIFY(!gsn::productAtMost(V{3037000500, 3037000500, 4}, std::uint64_t(INT64_MAX)));
        QVERIFY(!gsn::productAtMost(V{4294967295, 4294967295, 4294967295, 4294967295}, UINT64_MAX));
        QCOMPARE(gsn::productAtMost(V{3037000500, 3037000500, 0}, 1).value(), std::uint64_t(0)); // empty
        QVERIFY(!gsn::productAtMost(V{-1, 2}, 100));
        try {
            gsn::checkedProduct(V{1000, 1000, 1000}, 1000, "f.idx", "dimensions", "bytes");
            QFAIL("accepted");
        } catch (const gsn::Error& e) {
            QCOMPARE(std::string(e.what()),
                     std::string("f.idx: dimensions: expected at most 1000 bytes, the sizes 1000 x 1000 x 1000 need more (corrupt header?)"));
        }
    }
};

QTEST_GUILESS_MAIN(TestJsonLimits)
#include "tst_jsonlimits.moc"
