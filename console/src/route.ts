// The screen in the address bar (`#/cases/12`), so a screen can be bookmarked and reloaded.
import { useEffect, useState } from 'react';

export function useRoute(): [string[], (path: string) => void] {
  const read = () => location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const [parts, setParts] = useState(read);
  useEffect(() => {
    const changed = () => setParts(read());
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return [parts, (path: string) => (location.hash = `#/${path}`)];
}
