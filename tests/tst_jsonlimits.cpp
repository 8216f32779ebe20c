// parseJsonLimited / describeJson: nesting refused at the limit while parsing (100,000 levels overflowed
// the stack in nlohmann's copy and dump), the refused value named by its keys, messages short and escaped.

#include "error.h"
#include "jsonlimits.h"

#include <QtTest>

#include <string>

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
};

QTEST_GUILESS_MAIN(TestJsonLimits)
#include "tst_jsonlimits.moc"
