/** The portal's strings, merged into the shared translations (en.json and zh.json beside this file). */
import i18n from "../../../shared/i18n";
import en from "./en.json";
import zh from "./zh.json";

i18n.addResourceBundle("en", "translation", en, true, false);
i18n.addResourceBundle("zh-CN", "translation", zh, true, false);
