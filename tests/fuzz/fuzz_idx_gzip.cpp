// libFuzzer harness: readIdx (idx.h) through its gzip path. The input is the uncompressed IDX content
// (so the fuzzer mutates headers and sizes, not deflate bits); the harness gzips it and, steered by the
// input's last byte, damages the trailer (CRC / length) or cuts the stream short.
#include "fuzzsupport.h"
#include "idx.h"

#include <zlib.h>

#include <vector>

namespace {

std::vector<std::uint8_t> gzip(const std::uint8_t* data, std::size_t size)
{
    z_stream z{};
    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        std::abort();
    std::vector<std::uint8_t> out(deflateBound(&z, static_cast<uLong>(size)) + 32);
    z.next_in = const_cast<Bytef*>(data);
    z.avail_in = static_cast<uInt>(size);
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
        std::abort();
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0 || size > (1u << 20))
        return 0;
    const std::uint8_t mode = data[size - 1];
    std::vector<std::uint8_t> gz = gzip(data, size - 1);
    switch (mode % 8) {
    case 1: // wrong uncompressed length in the trailer
        gz[gz.size() - 4 + mode / 8 % 4] ^= 0x5a;
        break;
    case 2: // wrong CRC
        gz[gz.size() - 8] ^= 0x01;
        break;
    case 3: // truncated stream
        gz.resize(gz.size() / 2);
        break;
    case 4: // trailing garbage after the stream
        gz.push_back(mode);
        break;
    default: // a well-formed gzip file
        break;
    }
    static const gsn::fuzz::InputFile file("-idx-ubyte.gz");
    const std::string& path = file.write(gz.data(), gz.size());
    gsn::fuzz::refusalsAllowed([&] {
        const gsn::IdxArray a = gsn::readIdx(path);
        if (mode % 8 == 1 || mode % 8 == 2 || mode % 8 == 3)
            std::abort(); // a damaged stream must be refused
        std::size_t n = 1;
        for (const int64_t s : a.shape)
            n *= static_cast<std::size_t>(s);
        if (n != a.values.size())
            std::abort();
    });
    return 0;
}
